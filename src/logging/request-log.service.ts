import { Injectable, OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { clipped, printable } from '../common/client-text';
import { finalStatus, RequestEventsService } from '../common/request-events.service';
import type { RouterRequest } from '../common/proxy-context';
import type { Response } from 'express';
import { writeFlatLine } from './flat-log-line';

const MAX_LOGGED_PATH = 512;

/** One log line per request: who, which model, where it went, how it ended and how long it took. */
@Injectable()
export class RequestLogService implements OnModuleInit {
  constructor(private readonly events: RequestEventsService) {}

  onModuleInit(): void {
    this.events.onRequestEnd((req, res, totalMs) => this.log(req, res, totalMs));
  }

  private log(req: RouterRequest, res: Response, totalMs: number): void {
    const ctx = req.llmrouter;
    const o = ctx?.outcome;
    const status = finalStatus(req, res);
    const line = {
      context: 'Request',
      request_id: req.requestId,
      key: req.apiKeyName,
      method: req.method,
      // A path can be as long as the header limit (16 KB) and comes from anyone, key or not.
      path: clipped(req.path, MAX_LOGGED_PATH),
      // Client text: no terminal escapes or line breaks in a pretty log, no lone surrogates in JSON lines.
      model: ctx && printable(ctx.requestedModel),
      backend: o?.backend,
      upstream_model: o?.upstreamModel && printable(o.upstreamModel),
      status,
      error_code: o?.errorCode,
      stream: ctx?.stream,
      attempts: o?.attempts || undefined,
      ttfb_ms: o?.ttfbMs !== undefined ? round(o.ttfbMs) : undefined,
      total_ms: round(totalMs),
      overhead_ms: o?.overheadMs !== undefined ? round(o.overheadMs) : undefined,
      bytes: o?.bytesRelayed || undefined,
      prompt_tokens: o?.promptTokens,
      completion_tokens: o?.completionTokens,
      client_aborted: !res.writableFinished || undefined,
      upstream_errors: o && o.upstreamErrors.length > 0 ? o.upstreamErrors : undefined,
    };
    // The root logger: the line carries request_id itself, also for requests that never reached pino-http.
    writeFlatLine(PinoLogger.root, status >= 500 ? 'warn' : 'info', line, 'request');
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
