import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { HttpService } from '@nestjs/axios';
import { Injectable, Logger } from '@nestjs/common';
import type { AxiosResponse } from 'axios';
import type { Response } from 'express';
import type { Agent } from 'undici';
import type { CompiledBackend } from '../config/compiled-config';
import { OpenAIError } from '../common/openai-error';
import { msSince, recordUpstreamError, type JsonObject, type ProxyContext, type RouteTarget, type RouterRequest } from '../common/proxy-context';
import { nativeMessagesHeaders } from './native-headers';
import { AnswerRelayService, type SentTarget } from './answer-relay.service';
import { CircuitBreakerService } from './circuit-breaker.service';
import { rewriteForTarget } from '../transform/backend-rewrites';
import { upstreamEndpoint } from './bridge-relay';
import { drainBody } from './response-relay';
import { StreamKeepAlive } from './stream-keepalive';
import { UpstreamPoolsService, type ReleaseSlot } from './upstream-pools.service';
import { classifyUpstreamError, isRetryableFailure, isRetryableStatus, UpstreamFailureKind } from './upstream-error';

type PlannedTarget = RouteTarget & { trial: boolean };

type Attempt =
  | { ok: true; response: AxiosResponse<Readable> }
  | { ok: false; kind: UpstreamFailureKind; error: unknown }
  /** The backend's pool could not take the request (capped and full, or removed by a reload). */
  | { ok: false; kind: 'unavailable'; error: OpenAIError };

const BASE_RETRY_DELAY_MS = 250;

/**
 * Sends a routed request upstream through @nestjs/axios: the retry / fallback / circuit-breaker policy.
 * Retries and fallbacks happen before any data reaches the client; the chosen answer goes to
 * AnswerRelayService; the upstream request is aborted as soon as the client leaves.
 */
@Injectable()
export class BackendClientService {
  private readonly logger = new Logger('BackendClient');

  constructor(
    private readonly http: HttpService,
    private readonly breaker: CircuitBreakerService,
    private readonly pools: UpstreamPoolsService,
    private readonly relay: AnswerRelayService,
  ) {}

  async forward(ctx: ProxyContext, targets: RouteTarget[], req: RouterRequest, res: Response): Promise<void> {
    const abort = new AbortController();
    const onClientClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClientClose);
    const keepalive = ctx.stream ? new StreamKeepAlive(res, targets[0].backend.options.keepalive_ms, ctx.bridge?.keepAlive) : undefined;
    try {
      await this.tryTargets(ctx, targets, req, res, abort.signal, keepalive);
    } finally {
      keepalive?.stop();
      res.off('close', onClientClose);
    }
  }

  private async tryTargets(
    ctx: ProxyContext,
    targets: RouteTarget[],
    req: RouterRequest,
    res: Response,
    signal: AbortSignal,
    keepalive: StreamKeepAlive | undefined,
  ): Promise<void> {
    const plan = this.breaker.plan(targets);
    try {
      await this.tryPlan(ctx, plan, req, res, signal, keepalive);
    } finally {
      // A trial slot claimed for a target this request never reached goes back, or the circuit would stay shut.
      for (const target of plan) if (target.trial) this.breaker.releaseTrial(target.backend.name);
    }
  }

  private async tryPlan(
    ctx: ProxyContext,
    plan: PlannedTarget[],
    req: RouterRequest,
    res: Response,
    signal: AbortSignal,
    keepalive: StreamKeepAlive | undefined,
  ): Promise<void> {
    let lastError: OpenAIError | undefined;

    for (let t = 0; t < plan.length; t++) {
      const target = plan[t];
      const { backend } = target;
      const endpoint = upstreamEndpoint(ctx, backend);
      if (!endpoint) {
        lastError = new OpenAIError(404, 'endpoint_not_supported', `Backend "${backend.name}" does not serve /v1/${ctx.endpoint} (it is not in its "endpoints" list).`, 'invalid_request_error');
        continue;
      }
      const sent: SentTarget = { ...target, endpoint, bridged: endpoint !== ctx.endpoint };
      if (backend.missingKeyEnv) {
        lastError = new OpenAIError(503, 'backend_key_missing', `Backend "${backend.name}" needs an API key: set ${backend.missingKeyEnv} in the router's environment and restart it.`);
        continue;
      }
      const body = serializeBody(this.upstreamBody(ctx, sent));
      const retries = backend.options.retries;
      let retryAfterMs: number | undefined;
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0) {
          try {
            await sleep(retryDelay(attempt, retryAfterMs, backend.options.max_retry_delay_ms), undefined, { signal });
          } catch {
            return; // client left during the backoff
          }
        }
        if (signal.aborted) return;
        ctx.outcome.attempts++;
        const result = await this.send(ctx, sent, body, req, signal);
        const lastTry = attempt === retries && t === plan.length - 1;
        if (result.ok) {
          const status = result.response.status;
          if (status >= 500 || status === 429) {
            recordUpstreamError(ctx.outcome, backend.name, `http_${status}`);
            this.breaker.recordFailure(backend.name, target.trial, backend.options.circuit_failures, backend.options.circuit_cooldown_ms);
          } else {
            this.breaker.recordSuccess(backend.name, target.trial);
          }
          target.trial = false; // the trial has its verdict
          if (!isRetryableStatus(status) || lastTry) {
            await (sent.bridged ? this.relay.relayBridged(ctx, sent, result.response, res, keepalive) : this.relay.relay(ctx, target, result.response, res, keepalive));
            return;
          }
          retryAfterMs = parseRetryAfter(result.response.headers as Record<string, unknown>);
          // Read to its end when small, so the keep-alive connection goes back to the pool for the retry.
          drainBody(result.response.data);
          lastError = this.statusError(backend, status);
          continue;
        }
        if (result.kind === 'aborted') return; // no verdict: the trial slot is released by tryTargets
        if (result.kind === 'unavailable') {
          // Not the backend's fault (no breaker verdict); waiting again would not help: next target.
          recordUpstreamError(ctx.outcome, backend.name, result.error.code);
          lastError = result.error;
          break;
        }
        recordUpstreamError(ctx.outcome, backend.name, result.kind);
        this.breaker.recordFailure(backend.name, target.trial, backend.options.circuit_failures, backend.options.circuit_cooldown_ms);
        target.trial = false;
        lastError = this.failureError(backend, result.kind, result.error, req);
        if (!isRetryableFailure(result.kind)) {
          this.relay.sendError(ctx, res, lastError, keepalive);
          return;
        }
        retryAfterMs = undefined;
      }
    }
    this.relay.sendError(ctx, res, lastError ?? new OpenAIError(502, 'backend_error', 'No backend could serve the request.'), keepalive);
  }

  /** The body one target receives: the client's body with its model (bridged: converted to chat) and the backend's rewrites. */
  upstreamBody(ctx: ProxyContext, target: SentTarget): JsonObject {
    // A Gemini body names its model in the path only; the router put it in the body to route it.
    if (!target.bridged && ctx.nativePath) return withoutModel(ctx.body);
    let body: JsonObject = { ...ctx.body, model: target.model };
    if (target.bridged && ctx.bridge) body = ctx.bridge.toChatBody(body);
    return rewriteForTarget(body, target.backend);
  }

  private async send(ctx: ProxyContext, target: SentTarget, body: string, req: RouterRequest, signal: AbortSignal): Promise<Attempt> {
    const headers: Record<string, string> =
      target.endpoint === 'messages'
        ? nativeMessagesHeaders(target.backend, req.headers)
        : { ...(target.endpoint === 'gemini' ? target.backend.geminiHeaders : target.backend.headers) };
    if (req.requestId) headers['x-request-id'] = req.requestId;
    if (ctx.outcome.overheadMs === undefined) ctx.outcome.overheadMs = msSince(ctx.startedAt);
    let release: ReleaseSlot;
    let dispatcher: Agent;
    try {
      const slot = this.pools.acquire(target.backend, signal);
      release = typeof slot === 'function' ? slot : await slot;
      dispatcher = this.pools.poolFor(target.backend);
    } catch (error) {
      if (error instanceof OpenAIError) return { ok: false, kind: 'unavailable', error };
      return { ok: false, kind: 'aborted', error };
    }
    try {
      const response = await this.http.axiosRef.request<Readable>({
        url: `${target.backend.baseUrl}/${!target.bridged && ctx.nativePath ? ctx.nativePath(target.model) : target.endpoint}`,
        method: 'POST',
        data: body,
        headers,
        signal,
        dispatcher,
      });
      // The connection is the request's until its body is read or thrown away.
      response.data.once('close', release);
      return { ok: true, response };
    } catch (error) {
      release();
      return { ok: false, kind: signal.aborted ? 'aborted' : classifyUpstreamError(error), error };
    }
  }

  /** A retryable status that was not relayed (a later target was tried). */
  private statusError(backend: CompiledBackend, status: number): OpenAIError {
    return new OpenAIError(status === 429 ? 429 : 502, `upstream_http_${status}`, `Backend "${backend.name}" answered ${status}.`);
  }

  private failureError(backend: CompiledBackend, kind: UpstreamFailureKind, error: unknown, req: RouterRequest): OpenAIError {
    const name = backend.name;
    switch (kind) {
      case 'refused':
        return new OpenAIError(502, 'backend_unreachable', `Backend "${name}" is unreachable (connection refused or host not found).`);
      case 'connect_timeout':
        return new OpenAIError(502, 'backend_unreachable', `Backend "${name}" did not accept a connection within ${backend.options.connect_timeout_ms} ms.`);
      case 'reset':
        return new OpenAIError(502, 'backend_connection_reset', `Backend "${name}" closed the connection before answering.`);
      case 'headers_timeout':
        return new OpenAIError(504, 'backend_timeout', `Backend "${name}" did not answer within ${backend.options.timeout_ms} ms (timeout_ms).`);
      default:
        this.logger.warn({ request_id: req.requestId, backend: name, msg: `backend "${name}" request failed: ${(error as Error)?.message ?? String(error)}` });
        return new OpenAIError(502, 'backend_error', `Backend "${name}" request failed.`);
    }
  }
}

function withoutModel(body: JsonObject): JsonObject {
  const { model: _model, ...rest } = body;
  return rest;
}

// A string, not a Buffer: undici sends strings as they are, and a Buffer copy of a 400 KB prompt
// would stay in memory for the whole request next to the string.
function serializeBody(body: JsonObject): string {
  try {
    return JSON.stringify(body);
  } catch {
    // JSON.parse accepts nesting that JSON.stringify cannot walk back (call stack exceeded).
    throw new OpenAIError(400, 'invalid_body', 'The request body is nested too deeply.', 'invalid_request_error');
  }
}

/** Exponential backoff with jitter, or the upstream's retry-after, capped at max_retry_delay_ms. */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, maxMs: number): number {
  const base = retryAfterMs ?? BASE_RETRY_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
  return Math.min(Math.max(0, base), maxMs);
}

export function parseRetryAfter(headers: Record<string, unknown>): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(String(value));
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
