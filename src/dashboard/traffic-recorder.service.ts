import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Response } from 'express';
import { IpcClient } from '../cluster/ipc-channel';
import type { RouterRequest } from '../common/proxy-context';
import { finalStatus, RequestEventsService } from '../common/request-events.service';
import { RouterConfigService } from '../config/router-config.service';
import { pathModel } from '../routing/path-model';
import type { EndedAttempt } from './minute-series';
import type { MinuteSeries } from './minute-series';
import type { RingBuffer } from './ring-buffer';
import { BackendTraffic, LineFilter, RequestLine, TrafficLog } from './traffic-log';

export { RECENT_REQUESTS, type RequestLine } from './traffic-log';

/** Hands each recorded request on (the Redis copy shared by replicas): its line and each backend it reached. */
export type TrafficSink = (line: RequestLine, attempts: Array<[string, EndedAttempt]>, now: number) => void;

const MAX_MODEL_CHARS = 200;
const NOT_RECORDED = /^\/(ui|health|metrics)(\/|$)/;

/**
 * Fed by the request-end event the router already emits: the last RECENT_REQUESTS request lines and a
 * per-backend minute series (TrafficLog). Both are O(1) per request and fixed in size, and run after the
 * response. With `workers` > 1 and no Redis, the log is the primary's, so every worker shows the same.
 */
@Injectable()
export class TrafficRecorderService implements OnModuleInit {
  private readonly log = new TrafficLog();
  private readonly ipc = IpcClient.get();
  private readonly sinks: TrafficSink[] = [];

  constructor(
    private readonly events: RequestEventsService,
    configService: RouterConfigService,
  ) {
    // Drops the series of backends a reload removed. Run once the swap is over: a listener registered
    // after this one may still refuse the new config, and then the old one (and its backends) stays.
    configService.onChange(() => queueMicrotask(() => this.keepOnly(new Set(configService.current.backends.map((b) => b.name)))));
  }

  onModuleInit(): void {
    this.events.onRequestEnd((req, res, totalMs) => this.record(req, res, totalMs));
  }

  /** Also hands each recorded request to `sink`. */
  onRecord(sink: TrafficSink): void {
    this.sinks.push(sink);
  }

  /** This process's lines (the primary's when shared: read those with lines()). */
  get recent(): RingBuffer<RequestLine> {
    return this.log.recent;
  }

  /** This process's series of a backend named in the config. */
  seriesOf(backend: string): MinuteSeries | undefined {
    return this.log.seriesOf(backend);
  }

  keepOnly(backends: ReadonlySet<string>): void {
    this.log.keepOnly(backends);
  }

  /** The recent lines a viewer sees, newest first, from every worker. */
  async lines(filter: LineFilter): Promise<RequestLine[]> {
    return this.ipc ? this.ipc.call<RequestLine[]>('traffic.lines', filter) : this.log.lines(filter);
  }

  /** Each backend's figures (null: no traffic yet), from every worker. */
  async backends(backends: string[], totalMinutes: number, now = Date.now()): Promise<Array<BackendTraffic | null>> {
    return this.ipc ? this.ipc.call('traffic.backends', backends, totalMinutes, now) : this.log.backends(backends, totalMinutes, now);
  }

  record(req: RouterRequest, res: Response, totalMs: number, now = Date.now()): void {
    const ctx = req.llmrouter;
    const o = ctx?.outcome;
    const status = finalStatus(req, res);
    // Proxied requests, and requests a guard refused for a known key (model not allowed, rate limited).
    if (!o && !(req.apiKeyName !== undefined && status >= 400 && !NOT_RECORDED.test(req.path))) return;

    const attempts: Array<[string, EndedAttempt]> = [];
    const failedOn = o?.upstreamErrorBackends;
    if (o?.backend) attempts.push([o.backend, { failed: failedOn?.includes(o.backend) ?? false, ttfbMs: o.ttfbMs, overheadMs: o.overheadMs }]);
    // Backends that failed this request before another one answered (or none did): once each.
    failedOn?.forEach((name, i) => {
      if (name !== o?.backend && failedOn.indexOf(name) === i) attempts.push([name, { failed: true }]);
    });

    // A request refused before its context started: the model it named, in the body or (Gemini) the path.
    const model = ctx?.requestedModel ?? (req.body as { model?: unknown } | undefined)?.model ?? pathModel(req);
    const line: RequestLine = {
      at: now,
      key: req.apiKeyName ?? null,
      model: typeof model === 'string' ? model.slice(0, MAX_MODEL_CHARS) : null,
      backend: o?.backend ?? o?.upstreamErrorBackends?.at(-1) ?? null,
      status,
      error_code: o?.errorCode ?? null,
      ttfb_ms: o?.ttfbMs !== undefined ? round(o.ttfbMs) : null,
      total_ms: round(totalMs),
      prompt_tokens: o?.promptTokens ?? null,
      completion_tokens: o?.completionTokens ?? null,
    };
    if (this.ipc) this.ipc.send('traffic.add', line, attempts, now);
    else this.log.add(line, attempts, now);
    for (const sink of this.sinks) sink(line, attempts, now);
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
