import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Response } from 'express';
import type { RouterRequest } from '../common/proxy-context';
import { finalStatus, RequestEventsService } from '../common/request-events.service';
import { RouterConfigService } from '../config/router-config.service';
import { pathModel } from '../routing/path-model';
import { MinuteSeries } from './minute-series';
import { RingBuffer } from './ring-buffer';

export const RECENT_REQUESTS = 500;
const MAX_MODEL_CHARS = 200;
const NOT_RECORDED = /^\/(ui|health|metrics)(\/|$)/;

/** One line of the recent-requests table: names, numbers and times only, never a body or a key. */
export interface RequestLine {
  /** ms since the epoch (the API sends it as an ISO time). */
  at: number;
  key: string | null;
  model: string | null;
  backend: string | null;
  status: number;
  error_code: string | null;
  ttfb_ms: number | null;
  total_ms: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
}

/**
 * Fed by the request-end event the router already emits: the last RECENT_REQUESTS request lines and a
 * per-backend minute series. Both are O(1) per request and fixed in size, and run after the response.
 */
@Injectable()
export class TrafficRecorderService implements OnModuleInit {
  readonly recent = new RingBuffer<RequestLine>(RECENT_REQUESTS);
  private readonly series = new Map<string, MinuteSeries>();

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

  /** The series of a backend named in the config (names come from the config, so the map stays small). */
  seriesOf(backend: string): MinuteSeries | undefined {
    return this.series.get(backend);
  }

  /** Drops the series of backends not in `backends` (called after each config reload). */
  keepOnly(backends: ReadonlySet<string>): void {
    for (const name of this.series.keys()) if (!backends.has(name)) this.series.delete(name);
  }

  record(req: RouterRequest, res: Response, totalMs: number, now = Date.now()): void {
    const ctx = req.llmrouter;
    const o = ctx?.outcome;
    const status = finalStatus(req, res);
    // Proxied requests, and requests a guard refused for a known key (model not allowed, rate limited).
    if (!o && !(req.apiKeyName !== undefined && status >= 400 && !NOT_RECORDED.test(req.path))) return;

    const failedOn = o?.upstreamErrorBackends;
    if (o?.backend) {
      this.seriesFor(o.backend).record({ failed: failedOn?.includes(o.backend) ?? false, ttfbMs: o.ttfbMs, overheadMs: o.overheadMs }, now);
    }
    // Backends that failed this request before another one answered (or none did): once each.
    failedOn?.forEach((name, i) => {
      if (name !== o?.backend && failedOn.indexOf(name) === i) this.seriesFor(name).record({ failed: true }, now);
    });

    // A request refused before its context started: the model it named, in the body or (Gemini) the path.
    const model = ctx?.requestedModel ?? (req.body as { model?: unknown } | undefined)?.model ?? pathModel(req);
    this.recent.push({
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
    });
  }

  private seriesFor(name: string): MinuteSeries {
    let s = this.series.get(name);
    if (!s) {
      s = new MinuteSeries();
      this.series.set(name, s);
    }
    return s;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
