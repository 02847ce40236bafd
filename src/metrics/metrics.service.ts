import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { finalStatus, RequestEventsService } from '../common/request-events.service';
import type { RouterConfig } from '../config/compiled-config';
import { RouterConfigService } from '../config/router-config.service';
import type { RouterRequest } from '../common/proxy-context';
import { UpstreamPoolsService } from '../backends/upstream-pools.service';
import { LoadBalancerService } from '../backends/load-balancer.service';
import { registerPoolMetrics } from './pool-metrics';
import { IpcClient } from '../cluster/ipc-channel';
import { offerToPrimary } from './cluster-metrics';
import { LabelLimiter } from './label-limiter';

const MAX_MODELS = 500;
const MAX_KEYS = 1000;
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const OVERHEAD_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Label children kept at most; the labels are capped, this only bounds the cache if they churn. */
const MAX_CACHED_SERIES = 10_000;
const NOT_COUNTED = /^\/(metrics|health)(\/|$)|^\/v1\/health$/;

/**
 * The router's Prometheus metrics, in a registry of its own. Everything is recorded when a request ends
 * (RequestEventsService), off the hot path; open streams are counted when /metrics is scraped. With
 * `workers` > 1 a scrape answers with the sum of every worker's registry (see cluster-metrics.ts).
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  private readonly models = new LabelLimiter(MAX_MODELS);
  private readonly keys = new LabelLimiter(MAX_KEYS);
  private readonly ipc = IpcClient.get();
  /** The label children of one (backend, model, status, key), looked up once rather than on every request. */
  private readonly series = new Map<string, Series>();

  private readonly requests = new Counter({
    name: 'llmrouter_requests_total',
    help: 'Proxied requests by backend that answered, requested model, HTTP status and client key name',
    labelNames: ['backend', 'model', 'status', 'key'],
    registers: [this.registry],
  });
  private readonly rejected = new Counter({
    name: 'llmrouter_rejected_requests_total',
    help: 'Requests answered before routing (bad key, bad body, unknown path, ...) by HTTP status',
    labelNames: ['status'],
    registers: [this.registry],
  });
  private readonly upstreamErrors = new Counter({
    name: 'llmrouter_upstream_errors_total',
    help: 'Failed upstream attempts by backend, requested model and kind (refused, connect_timeout, reset, headers_timeout, http_<status>, stream_<failure>)',
    labelNames: ['backend', 'model', 'kind'],
    registers: [this.registry],
  });
  private readonly ttfb = new Histogram({
    name: 'llmrouter_time_to_first_byte_seconds',
    help: 'From the request reaching the router to the upstream response headers',
    labelNames: ['backend', 'model', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'llmrouter_request_duration_seconds',
    help: 'From the request reaching the router to the end of the response',
    labelNames: ['backend', 'model', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly overhead = new Histogram({
    name: 'llmrouter_overhead_seconds',
    help: "The router's own time: from the request's arrival to the upstream request being sent",
    labelNames: ['backend', 'model', 'status'],
    buckets: OVERHEAD_BUCKETS,
    registers: [this.registry],
  });
  private readonly promptTokens = new Counter({
    name: 'llmrouter_prompt_tokens_total',
    help: 'Prompt tokens reported by the backends (usage of JSON responses and of the final stream chunk)',
    labelNames: ['backend', 'model', 'key'],
    registers: [this.registry],
  });
  private readonly completionTokens = new Counter({
    name: 'llmrouter_completion_tokens_total',
    help: 'Completion tokens reported by the backends (usage of JSON responses and of the final stream chunk)',
    labelNames: ['backend', 'model', 'key'],
    registers: [this.registry],
  });

  constructor(
    private readonly events: RequestEventsService,
    configService: RouterConfigService,
    pools: UpstreamPoolsService,
    balancer: LoadBalancerService,
  ) {
    registerPoolMetrics(this.registry, balancer);
    this.models.reserve(configuredModels(configService.current));
    configService.onChange((config) => this.models.reserve(configuredModels(config)));
    new Gauge({
      name: 'llmrouter_upstream_pool_waiting',
      help: 'Requests waiting for a free upstream connection of a backend whose max_sockets is reached',
      labelNames: ['backend'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [backend, waiting] of pools.waitingByBackend()) this.set({ backend }, waiting);
      },
    });
    const inFlight = events.inFlight;
    const models = this.models;
    new Gauge({
      name: 'llmrouter_open_streams',
      help: 'Event streams being relayed to clients right now',
      labelNames: ['backend', 'model'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const req of inFlight) {
          const res = req.res;
          if (!res?.headersSent || !String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) continue;
          const ctx = req.llmrouter;
          this.inc({ backend: ctx?.outcome.backend ?? 'pending', model: models.value(ctx?.requestedModel) });
        }
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'llmrouter_' });
    if (this.ipc) offerToPrimary(this.ipc, this.registry);
  }

  onModuleInit(): void {
    this.events.onRequestEnd((req, res, totalMs) => this.record(req, res, totalMs));
  }

  async render(): Promise<{ contentType: string; body: string }> {
    if (this.ipc) return this.ipc.call('metrics.render');
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  record(req: RouterRequest, res: Response, totalMs: number): void {
    const ctx = req.llmrouter;
    const o = ctx?.outcome;
    const status = String(finalStatus(req, res));
    if (!ctx || !o) {
      if (Number(status) >= 400 && !NOT_COUNTED.test(req.path)) this.rejected.inc({ status });
      return;
    }
    const backend = o.backend ?? 'none';
    const model = this.models.value(ctx.requestedModel, 'none', mayBeRealModel(Number(status)));
    const key = this.keys.value(req.apiKeyName);
    const series = this.seriesOf(backend, model, status, key);
    series.requests.inc();
    for (let i = 0; i < o.upstreamErrors.length; i++) {
      this.upstreamErrors.inc({ backend: o.upstreamErrorBackends?.[i] ?? backend, model, kind: o.upstreamErrors[i] });
    }
    if (o.ttfbMs !== undefined) series.ttfb.observe(o.ttfbMs / 1000);
    series.duration.observe(totalMs / 1000);
    if (o.overheadMs !== undefined) series.overhead.observe(o.overheadMs / 1000);
    if (o.promptTokens) series.promptTokens.inc(o.promptTokens);
    if (o.completionTokens) series.completionTokens.inc(o.completionTokens);
  }

  private seriesOf(backend: string, model: string, status: string, key: string): Series {
    const id = `${backend}\n${model}\n${status}\n${key}`;
    let series = this.series.get(id);
    if (!series) {
      if (this.series.size >= MAX_CACHED_SERIES) this.series.clear();
      series = {
        requests: this.requests.labels({ backend, model, status, key }),
        ttfb: this.ttfb.labels({ backend, model, status }),
        duration: this.duration.labels({ backend, model, status }),
        overhead: this.overhead.labels({ backend, model, status }),
        promptTokens: this.promptTokens.labels({ backend, model, key }),
        completionTokens: this.completionTokens.labels({ backend, model, key }),
      };
      this.series.set(id, series);
    }
    return series;
  }
}

interface Series {
  requests: { inc(value?: number): void };
  ttfb: { observe(value: number): void };
  duration: { observe(value: number): void };
  overhead: { observe(value: number): void };
  promptTokens: { inc(value?: number): void };
  completionTokens: { inc(value?: number): void };
}

/** Aliases and the models they name: the config's own model names keep their labels whatever clients send. */
function configuredModels(config: RouterConfig): string[] {
  return [...config.aliases.keys(), ...[...config.aliases.values()].flat()];
}

/**
 * A model answered with a 4xx other than 429 may not exist (unknown names get 404 from the router or the
 * backend, 400 from some): it gets no label place of its own, so random names cannot push real models
 * into "other".
 */
function mayBeRealModel(status: number): boolean {
  return status < 400 || status === 429 || status >= 500;
}
