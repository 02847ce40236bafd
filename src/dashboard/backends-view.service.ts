import { Injectable } from '@nestjs/common';
import { CircuitBreakerService } from '../backends/circuit-breaker.service';
import { LoadBalancerService } from '../backends/load-balancer.service';
import { IpcClient } from '../cluster/ipc-channel';
import { RequestEventsService } from '../common/request-events.service';
import { RouterConfigService } from '../config/router-config.service';
import { BackendProbeService } from '../health/backend-probe.service';
import { resolveTarget } from '../routing/model-routing';
import { SERIES_MINUTES } from './minute-series';
import { SharedTrafficService } from './shared-traffic.service';

const ERROR_RATE_MINUTES = 15;

/** A pool (backends sharing a prefix) and its members' load on this replica. */
export interface PoolView {
  prefix: string;
  strategy: string;
  session_affinity: boolean;
  /** Requests waiting for a member below max_concurrent. */
  waiting: number;
  members: Array<{
    name: string;
    weight: number;
    max_concurrent: number | null;
    in_flight: number;
    chosen: number;
    failed_over: number;
    affinity_hits: number;
    affinity_misses: number;
    ttfb_ewma_ms: number | null;
    circuit: 'closed' | 'open' | 'half_open';
  }>;
}

/** One backend's row: names, states and numbers only (never its address or key). */
export interface BackendView {
  name: string;
  prefix: string;
  default: boolean;
  /** The prefix of the pool it is a member of, or null when it is balanced alone. */
  pool: string | null;
  status: 'up' | 'down';
  reason: string | null;
  circuit: 'closed' | 'open' | 'half_open';
  in_flight: number;
  requests_per_minute: number;
  /** Share of the last 15 minutes' requests this backend failed at least once; null without requests. */
  error_rate: number | null;
  requests_15m: number;
  errors_15m: number;
  /** Columns for the chart: minute starts (unix seconds) and one value (or null) per minute. */
  series: { t: number[]; requests: number[]; ttfb_p50_ms: Array<number | null>; ttfb_p95_ms: Array<number | null>; overhead_p50_ms: Array<number | null> };
}

@Injectable()
export class BackendsViewService {
  private readonly ipc = IpcClient.get();

  constructor(
    private readonly configService: RouterConfigService,
    private readonly probes: BackendProbeService,
    private readonly breaker: CircuitBreakerService,
    private readonly events: RequestEventsService,
    private readonly balancer: LoadBalancerService,
    private readonly shared: SharedTrafficService,
  ) {
    // With workers, each one's open requests are asked for by the primary and added up (ipc-traffic.ts).
    this.ipc?.answer('traffic.inFlight', () => [...this.inFlightByBackend()]);
  }

  /** `shared` is true when the traffic figures are every replica's (from Redis), false when this router's only. */
  async backends(now = Date.now()): Promise<{ error_rate_minutes: number; series_minutes: number; shared: boolean; data: BackendView[]; pools: PoolView[] }> {
    const config = this.configService.current;
    const names = config.backends.map((b) => b.name);
    const [states, { shared, traffic }, inFlight] = await Promise.all([
      Promise.all(config.backends.map((b) => this.probes.state(b))),
      this.shared.backends(names, ERROR_RATE_MINUTES, now),
      this.ipc ? this.ipc.call<Array<[string, number]>>('traffic.inFlight').then((counts) => new Map(counts)) : this.inFlightByBackend(),
    ]);
    const data = config.backends.map((b, i): BackendView => {
      const points = traffic[i]?.points ?? [];
      const totals = traffic[i]?.totals ?? { requests: 0, errors: 0 };
      return {
        name: b.name,
        prefix: b.prefix,
        default: b.isDefault,
        pool: b.pool ? b.pool.prefix : null,
        status: states[i].status,
        reason: states[i].reason ?? null,
        circuit: this.breaker.stateOf(b.name, now),
        in_flight: inFlight.get(b.name) ?? 0,
        requests_per_minute: traffic[i]?.requestsPerMinute ?? 0,
        error_rate: totals.requests > 0 ? Math.round((totals.errors / totals.requests) * 1000) / 1000 : null,
        requests_15m: totals.requests,
        errors_15m: totals.errors,
        series: {
          t: points.map((p) => p.start / 1000),
          requests: points.map((p) => p.requests),
          ttfb_p50_ms: points.map((p) => p.ttfb_p50_ms),
          ttfb_p95_ms: points.map((p) => p.ttfb_p95_ms),
          overhead_p50_ms: points.map((p) => p.overhead_p50_ms),
        },
      };
    });
    return { error_rate_minutes: ERROR_RATE_MINUTES, series_minutes: SERIES_MINUTES, shared, data, pools: this.pools(now) };
  }

  private pools(now: number): PoolView[] {
    const waiting = this.balancer.waitingByPool();
    return this.configService.current.pools.map((pool) => ({
      prefix: pool.prefix,
      strategy: pool.strategy,
      session_affinity: pool.sessionAffinity,
      waiting: waiting.get(pool.prefix) ?? 0,
      members: pool.members.map((m) => {
        const load = this.balancer.loadOf(m.name);
        return {
          name: m.name,
          weight: m.weight,
          max_concurrent: m.maxConcurrent || null,
          in_flight: load.inFlight,
          chosen: load.chosen,
          failed_over: load.failedOver,
          affinity_hits: load.affinityHits,
          affinity_misses: load.affinityMisses,
          ttfb_ewma_ms: load.ttfbEwmaMs === undefined ? null : Math.round(load.ttfbEwmaMs * 10) / 10,
          circuit: this.breaker.stateOf(m.name, now),
        };
      }),
    }));
  }

  /** Requests open right now per backend: the one answering, or the first the request is headed for. */
  private inFlightByBackend(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const req of this.events.inFlight) {
      const ctx = req.llmrouter;
      if (!ctx) continue;
      const name = ctx.outcome.backend ?? resolveTarget(ctx.config, ctx.targetModels[0] ?? '')?.backend.name;
      if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return counts;
  }
}
