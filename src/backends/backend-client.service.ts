import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { HttpService } from '@nestjs/axios';
import { Injectable, Logger } from '@nestjs/common';
import type { AxiosResponse } from 'axios';
import type { Response } from 'express';
import type { Agent } from 'undici';
import type { CompiledBackend } from '../config/compiled-config';
import { OpenAIError } from '../common/openai-error';
import { msSince, recordUpstreamError, SHUTTING_DOWN, SHUTTING_DOWN_MESSAGE, type JsonObject, type ProxyContext, type RouteTarget, type RouterRequest } from '../common/proxy-context';
import { nativeMessagesHeaders } from './native-headers';
import { AnswerRelayService, type SentTarget } from './answer-relay.service';
import { CircuitBreakerService } from './circuit-breaker.service';
import { upstreamEndpoint } from './bridge-relay';
import { drainBody } from './response-relay';
import { StreamKeepAlive } from './stream-keepalive';
import { UpstreamPoolsService, type ReleaseSlot } from './upstream-pools.service';
import { parseRetryAfter, retryDelay, serializedBody } from './upstream-request';
import { missingKeyError, PoolAttemptsService, type AttemptFn, type AttemptVerdict, type MemberHooks } from './pool-attempts.service';
import { classifyUpstreamError, isRetryableFailure, isRetryableStatus, UpstreamFailureKind } from './upstream-error';

type PlannedTarget = RouteTarget & { trial: boolean };

const DONE: AttemptVerdict = { done: true };

type Attempt =
  | { ok: true; response: AxiosResponse<Readable> }
  | { ok: false; kind: UpstreamFailureKind; error: unknown }
  /** The backend's pool could not take the request (capped and full, or removed by a reload). */
  | { ok: false; kind: 'unavailable'; error: OpenAIError };

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
    private readonly poolAttempts: PoolAttemptsService,
  ) {}

  async forward(ctx: ProxyContext, targets: RouteTarget[], req: RouterRequest, res: Response): Promise<void> {
    const abort = new AbortController();
    const onClientClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClientClose);
    req.stopUpstream = (reason) => abort.abort(reason);
    const keepalive = ctx.stream ? new StreamKeepAlive(res, targets[0].backend.options.keepalive_ms, ctx.bridge?.keepAlive) : undefined;
    try {
      await this.tryTargets(ctx, targets, req, res, abort.signal, keepalive);
      // Stopped by a shutdown before any answer was relayed: the caller gets a 503 in its dialect.
      if ((abort.signal.reason as { code?: string } | undefined)?.code === SHUTTING_DOWN && !res.writableEnded) {
        this.relay.sendError(ctx, res, new OpenAIError(503, SHUTTING_DOWN, SHUTTING_DOWN_MESSAGE), keepalive);
      }
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
      const isLastTarget = t === plan.length - 1;
      if (backend.pool) {
        const attempt: AttemptFn = (sent, trial, body, lastTry, hooks) => this.attempt(ctx, sent, trial, body, req, res, signal, keepalive, lastTry, hooks);
        const verdict = await this.poolAttempts.tryPool(ctx, backend.pool, target.model, req, signal, isLastTarget, attempt);
        if (verdict.done) return;
        lastError = verdict.error;
        continue;
      }
      const endpoint = upstreamEndpoint(ctx, backend);
      if (!endpoint) {
        lastError = new OpenAIError(404, 'endpoint_not_supported', `Backend "${backend.name}" does not serve /v1/${ctx.endpoint} (it is not in its "endpoints" list).`, 'invalid_request_error');
        continue;
      }
      const sent: SentTarget = { ...target, endpoint, bridged: endpoint !== ctx.endpoint };
      if (backend.missingKeyEnv) {
        lastError = missingKeyError(backend);
        continue;
      }
      const body = serializedBody(ctx, sent);
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
        const verdict = await this.attempt(ctx, sent, target, body, req, res, signal, keepalive, attempt === retries && isLastTarget);
        if (verdict.done) return;
        lastError = verdict.error;
        retryAfterMs = verdict.retryAfterMs;
        if (!verdict.retry) break;
      }
    }
    this.relay.sendError(ctx, res, lastError ?? new OpenAIError(502, 'backend_error', 'No backend could serve the request.'), keepalive);
  }

  /**
   * One upstream attempt and its verdict: relayed (done), or failed in a way another attempt may fix.
   * `trial` is the target's circuit trial flag, cleared once this attempt gave the circuit its verdict.
   */
  private async attempt(
    ctx: ProxyContext,
    sent: SentTarget,
    trial: { trial: boolean },
    body: string,
    req: RouterRequest,
    res: Response,
    signal: AbortSignal,
    keepalive: StreamKeepAlive | undefined,
    lastTry: boolean,
    hooks?: MemberHooks,
  ): Promise<AttemptVerdict> {
    const { backend } = sent;
    if (signal.aborted) {
      hooks?.release();
      return DONE;
    }
    ctx.outcome.attempts++;
    const result = await this.send(ctx, sent, body, req, signal, hooks);
    if (result.ok) {
      const status = result.response.status;
      if (status >= 500 || status === 429) {
        recordUpstreamError(ctx.outcome, backend.name, `http_${status}`);
        this.breaker.recordFailure(backend.name, trial.trial, backend.options.circuit_failures, backend.options.circuit_cooldown_ms);
        hooks?.onFailure();
      } else {
        this.breaker.recordSuccess(backend.name, trial.trial);
      }
      trial.trial = false; // the trial has its verdict
      if (!isRetryableStatus(status) || lastTry) {
        await (sent.bridged ? this.relay.relayBridged(ctx, sent, result.response, res, keepalive) : this.relay.relay(ctx, sent, result.response, res, keepalive));
        return DONE;
      }
      // Read to its end when small, so the keep-alive connection goes back to the pool for the retry.
      drainBody(result.response.data);
      return { done: false, retry: true, error: this.statusError(backend, status), retryAfterMs: parseRetryAfter(result.response.headers as Record<string, unknown>) };
    }
    if (result.kind === 'aborted') return DONE; // no verdict: the trial slot is released by the caller
    if (result.kind === 'unavailable') {
      // Not the backend's fault (no breaker verdict); waiting again would not help: next target.
      recordUpstreamError(ctx.outcome, backend.name, result.error.code);
      return { done: false, retry: false, error: result.error };
    }
    recordUpstreamError(ctx.outcome, backend.name, result.kind);
    this.breaker.recordFailure(backend.name, trial.trial, backend.options.circuit_failures, backend.options.circuit_cooldown_ms);
    hooks?.onFailure();
    trial.trial = false;
    const error = this.failureError(backend, result.kind, result.error, req);
    // A pool member that never answered is left for another member: the client gets one answer.
    if (result.kind === 'headers_timeout' && hooks?.otherMemberLeft) return { done: false, retry: false, error };
    if (!isRetryableFailure(result.kind)) {
      this.relay.sendError(ctx, res, error, keepalive);
      return DONE;
    }
    return { done: false, retry: true, error };
  }

  private async send(ctx: ProxyContext, target: SentTarget, body: string, req: RouterRequest, signal: AbortSignal, hooks?: MemberHooks): Promise<Attempt> {
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
      hooks?.release();
      if (error instanceof OpenAIError) return { ok: false, kind: 'unavailable', error };
      return { ok: false, kind: 'aborted', error };
    }
    const sentAt = hooks ? performance.now() : 0;
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
      if (hooks) {
        // A pool member's request counts as in flight until its answer (or stream) ends.
        response.data.once('close', hooks.release);
        hooks.onHeaders(performance.now() - sentAt, response.status);
      }
      return { ok: true, response };
    } catch (error) {
      release();
      hooks?.release();
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
