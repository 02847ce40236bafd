import { Injectable } from '@nestjs/common';
import { CircuitBreakerService } from '../backends/circuit-breaker.service';
import { RequestEventsService } from '../common/request-events.service';
import { RouterConfigService } from '../config/router-config.service';
import { BackendProbeService } from '../health/backend-probe.service';
import { resolveTarget } from '../routing/model-routing';
import { SERIES_MINUTES } from './minute-series';
import { SharedTrafficService } from './shared-traffic.service';
import { TrafficRecorderService } from './traffic-recorder.service';

const ERROR_RATE_MINUTES = 15;

/** One backend's row: names, states and numbers only (never its address or key). */
export interface BackendView {
  name: string;
  prefix: string;
  default: boolean;
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
  constructor(
    private readonly configService: RouterConfigService,
    private readonly probes: BackendProbeService,
    private readonly breaker: CircuitBreakerService,
    private readonly events: RequestEventsService,
    private readonly traffic: TrafficRecorderService,
    private readonly shared: SharedTrafficService,
  ) {}

  /** `shared` is true when the traffic figures are every replica's (from Redis), false when this replica's only. */
  async backends(now = Date.now()): Promise<{ error_rate_minutes: number; series_minutes: number; shared: boolean; data: BackendView[] }> {
    const config = this.configService.current;
    const [states, sharedSeries] = await Promise.all([
      Promise.all(config.backends.map((b) => this.probes.state(b))),
      this.shared.series(config.backends.map((b) => b.name), now),
    ]);
    const inFlight = this.inFlightByBackend();
    const data = config.backends.map((b, i): BackendView => {
      const series = sharedSeries ? sharedSeries.get(b.name) : this.traffic.seriesOf(b.name);
      const points = series?.points(now) ?? [];
      const totals = series?.totals(ERROR_RATE_MINUTES, now) ?? { requests: 0, errors: 0 };
      return {
        name: b.name,
        prefix: b.prefix,
        default: b.isDefault,
        status: states[i].status,
        reason: states[i].reason ?? null,
        circuit: this.breaker.stateOf(b.name, now),
        in_flight: inFlight.get(b.name) ?? 0,
        requests_per_minute: series?.requestsPerMinute(now) ?? 0,
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
    return { error_rate_minutes: ERROR_RATE_MINUTES, series_minutes: SERIES_MINUTES, shared: sharedSeries !== undefined, data };
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
