import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { HttpService } from '@nestjs/axios';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { AxiosResponse } from 'axios';
import type { Response } from 'express';
import { Agent } from 'undici';
import type { CompiledBackend } from '../config/compiled-config';
import type { Endpoint } from '../config/router-config';
import type { ErrorDialect } from '../common/answer-bridge';
import { sseErrorEventIn, writeErrorIn } from '../common/error-dialect';
import { RouterConfigService } from '../config/router-config.service';
import { OpenAIError } from '../common/openai-error';
import { recordUpstreamError, type JsonObject, type ProxyContext, type RouteTarget, type RouterRequest } from '../common/proxy-context';
import { CircuitBreakerService } from './circuit-breaker.service';
import { completionAsChunk, pumpBridgedStream, readChatJson, upstreamEndpoint, writeBridgedJson } from './bridge-relay';
import { discardBody, headerSafe, pump, relayHeaders } from './response-relay';
import { readTokenUsage, SseMonitor } from './sse-monitor';
import { classifyUpstreamError, isRetryableFailure, isRetryableStatus, UpstreamFailureKind } from './upstream-error';

type PlannedTarget = RouteTarget & { trial: boolean };
/** A target as it is sent: on the client's endpoint, or bridged to chat/completions. */
type SentTarget = RouteTarget & { endpoint: Endpoint; bridged: boolean };

type Attempt =
  | { ok: true; response: AxiosResponse<Readable> }
  | { ok: false; kind: UpstreamFailureKind; error: unknown };

const JSON_CAPTURE_LIMIT = 1 << 20;
const ERROR_BODY_LIMIT = 64 * 1024;
const BASE_RETRY_DELAY_MS = 250;

/**
 * Sends a routed request upstream through @nestjs/axios and relays the answer: retries and fallbacks
 * before any data reaches the client, keep-alive comments for slow stream starts, a final SSE error
 * event when a stream fails midway, and an immediate upstream abort when the client leaves.
 */
@Injectable()
export class BackendClientService implements OnModuleDestroy {
  private readonly logger = new Logger('BackendClient');
  private readonly dispatchers = new Map<CompiledBackend, Agent>();

  constructor(
    private readonly http: HttpService,
    private readonly breaker: CircuitBreakerService,
    configService: RouterConfigService,
  ) {
    configService.onChange((config) => {
      // Pools of backends the new config no longer has close once their requests are done.
      for (const [backend, agent] of this.dispatchers) {
        if (!config.backends.includes(backend)) {
          this.dispatchers.delete(backend);
          void agent.close().catch(() => undefined);
        }
      }
    });
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.dispatchers.values()].map((a) => a.destroy().catch(() => undefined)));
  }

  /** The keep-alive connection pool of one backend, with its timeouts. */
  dispatcherFor(backend: CompiledBackend): Agent {
    let agent = this.dispatchers.get(backend);
    if (!agent) {
      const o = backend.options;
      agent = new Agent({
        connections: o.max_sockets,
        connect: { timeout: o.connect_timeout_ms },
        headersTimeout: o.timeout_ms,
        bodyTimeout: o.stream_idle_timeout_ms,
        keepAliveTimeout: 30_000,
      });
      this.dispatchers.set(backend, agent);
    }
    return agent;
  }

  async forward(ctx: ProxyContext, targets: RouteTarget[], req: RouterRequest, res: Response): Promise<void> {
    const abort = new AbortController();
    const onClientClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClientClose);
    const keepalive = ctx.stream ? new KeepAlive(res, targets[0].backend.options.keepalive_ms, ctx.bridge?.keepAlive) : undefined;
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
    keepalive: KeepAlive | undefined,
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
    keepalive: KeepAlive | undefined,
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
            await (sent.bridged ? this.relayBridged(ctx, sent, result.response, res, keepalive) : this.relay(ctx, target, result.response, res, keepalive));
            return;
          }
          retryAfterMs = parseRetryAfter(result.response.headers as Record<string, unknown>);
          discardBody(result.response.data);
          lastError = this.statusError(backend, status);
          continue;
        }
        if (result.kind === 'aborted') return; // no verdict: the trial slot is released by tryTargets
        recordUpstreamError(ctx.outcome, backend.name, result.kind);
        this.breaker.recordFailure(backend.name, target.trial, backend.options.circuit_failures, backend.options.circuit_cooldown_ms);
        target.trial = false;
        lastError = this.failureError(backend, result.kind, result.error, req);
        if (!isRetryableFailure(result.kind)) {
          this.sendError(ctx, res, lastError, keepalive);
          return;
        }
        retryAfterMs = undefined;
      }
    }
    this.sendError(ctx, res, lastError ?? new OpenAIError(502, 'backend_error', 'No backend could serve the request.'), keepalive);
  }

  /** The body one target receives: the client's body with its model (bridged: converted to chat) and the backend's transforms. */
  upstreamBody(ctx: ProxyContext, target: SentTarget): JsonObject {
    let body: JsonObject = { ...ctx.body, model: target.model };
    if (target.bridged && ctx.bridge) body = ctx.bridge.toChatBody(body);
    for (const transform of ctx.transforms) body = transform(body, target.backend, target.endpoint);
    return body;
  }

  private async send(ctx: ProxyContext, target: SentTarget, body: string, req: RouterRequest, signal: AbortSignal): Promise<Attempt> {
    const headers: Record<string, string> = { ...target.backend.headers };
    if (req.requestId) headers['x-request-id'] = req.requestId;
    if (ctx.outcome.overheadMs === undefined) ctx.outcome.overheadMs = msSince(ctx.startedAt);
    try {
      const response = await this.http.axiosRef.request<Readable>({
        url: `${target.backend.baseUrl}/${target.endpoint}`,
        method: 'POST',
        data: body,
        headers,
        signal,
        dispatcher: this.dispatcherFor(target.backend),
      });
      return { ok: true, response };
    } catch (error) {
      return { ok: false, kind: signal.aborted ? 'aborted' : classifyUpstreamError(error), error };
    }
  }

  private async relay(
    ctx: ProxyContext,
    target: RouteTarget,
    response: AxiosResponse<Readable>,
    res: Response,
    keepalive: KeepAlive | undefined,
  ): Promise<void> {
    const { outcome } = ctx;
    const upstreamHeaders = response.headers as Record<string, unknown>;
    const contentType = String(upstreamHeaders['content-type'] ?? '');
    const isSse = contentType.startsWith('text/event-stream');
    outcome.backend = target.backend.name;
    outcome.upstreamModel = target.model;
    outcome.status = response.status;
    outcome.ttfbMs = msSince(ctx.startedAt);

    if (keepalive?.committed) {
      keepalive.stop();
      if (response.status >= 400 || !isSse) {
        // The client already has a 200 event stream: the upstream's error becomes the final event.
        const text = await readSome(response.data, ERROR_BODY_LIMIT);
        res.end(sseErrorEventIn(ctx.dialect, upstreamErrorMessage(target.backend.name, response.status, text), `upstream_http_${response.status}`, 'api_error', response.status));
        return;
      }
    } else {
      keepalive?.stop();
      res.status(response.status);
      relayHeaders(upstreamHeaders, res, isSse);
      res.setHeader('x-llmrouter-backend', target.backend.name);
      res.setHeader('x-llmrouter-model', headerSafe(target.model));
      res.setHeader('x-llmrouter-overhead-ms', (outcome.overheadMs ?? 0).toFixed(3));
      if (response.status >= 400) {
        await this.relayErrorBody(ctx, target, response, res);
        return;
      }
      if (isSse) res.flushHeaders();
    }

    // Compressed bodies pass through unread: no stream checks, no usage from them.
    const readable = upstreamHeaders['content-encoding'] === undefined || upstreamHeaders['content-encoding'] === 'identity';
    const monitor = isSse && readable ? new SseMonitor() : undefined;
    const result = await pump(response.data, res, {
      monitor,
      requireTerminator: monitor !== undefined && ctx.endpoint !== 'responses' && response.status < 400,
      captureLimit: isSse || !readable || response.status >= 400 ? 0 : JSON_CAPTURE_LIMIT,
      backendName: target.backend.name,
      dialect: ctx.dialect,
    });
    outcome.bytesRelayed = result.bytes;
    const usage = monitor?.usage ?? (result.body ? usageOfJson(result.body) : undefined);
    if (usage) {
      outcome.promptTokens = usage.promptTokens;
      outcome.completionTokens = usage.completionTokens;
      outcome.totalTokens = usage.totalTokens;
    }
    if (result.failure) {
      recordUpstreamError(outcome, target.backend.name, `stream_${result.failure}`);
      outcome.errorCode = result.failure === 'idle_timeout' ? 'stream_idle_timeout' : 'upstream_stream_error';
      this.logger.warn({
        request_id: (res.req as RouterRequest).requestId,
        backend: target.backend.name,
        bytes_relayed: result.bytes,
        msg: `backend "${target.backend.name}" stream failed (${result.failure}) after ${result.bytes} bytes relayed`,
      });
    }
  }

  /**
   * An upstream error keeps its status; a body already in the caller's dialect passes unchanged, anything
   * else (an HTML page from a proxy, FastAPI's {"detail":…}, plain text, an OpenAI error for an Anthropic
   * client) is wrapped so every client gets an error it can parse.
   */
  private async relayErrorBody(ctx: ProxyContext, target: RouteTarget, response: AxiosResponse<Readable>, res: Response): Promise<void> {
    const text = await readSome(response.data, ERROR_BODY_LIMIT);
    if (res.destroyed) return;
    if (isErrorBodyIn(ctx.dialect, text)) {
      res.setHeader('content-type', 'application/json');
      res.setHeader('content-length', Buffer.byteLength(text));
      res.end(text);
      return;
    }
    res.removeHeader('content-length');
    const error = new OpenAIError(response.status, `upstream_http_${response.status}`, upstreamErrorMessage(target.backend.name, response.status, text));
    for (const name of ['retry-after', 'retry-after-ms']) {
      const value = (response.headers as Record<string, unknown>)[name];
      if (value !== undefined) error.headers[name] = String(value);
    }
    writeErrorIn(ctx.dialect, res, error);
  }

  /**
   * A bridged answer: the backend spoke Chat Completions, the client gets its own API through ctx.bridge.
   * Errors keep their status in the client's dialect; usage is read from the chat answer.
   */
  private async relayBridged(
    ctx: ProxyContext,
    target: SentTarget,
    response: AxiosResponse<Readable>,
    res: Response,
    keepalive: KeepAlive | undefined,
  ): Promise<void> {
    const { outcome } = ctx;
    const bridge = ctx.bridge!;
    const upstreamHeaders = response.headers as Record<string, unknown>;
    outcome.backend = target.backend.name;
    outcome.upstreamModel = target.model;
    outcome.status = response.status;
    outcome.ttfbMs = msSince(ctx.startedAt);
    keepalive?.stop();
    if (response.status >= 400 || (upstreamHeaders['content-encoding'] ?? 'identity') !== 'identity') {
      const text = await readSome(response.data, ERROR_BODY_LIMIT);
      const status = response.status >= 400 ? response.status : 502;
      const error = new OpenAIError(status, `upstream_http_${status}`, upstreamErrorMessage(target.backend.name, response.status, text));
      this.sendError(ctx, res, error, keepalive);
      return;
    }
    if (!keepalive?.committed) {
      res.setHeader('x-llmrouter-backend', target.backend.name);
      res.setHeader('x-llmrouter-model', headerSafe(target.model));
      res.setHeader('x-llmrouter-overhead-ms', (outcome.overheadMs ?? 0).toFixed(3));
      const upstreamId = upstreamHeaders['x-request-id'];
      if (upstreamId !== undefined) res.setHeader('x-upstream-request-id', String(upstreamId));
    }
    const isSse = String(upstreamHeaders['content-type'] ?? '').startsWith('text/event-stream');
    if (!isSse) {
      const chat = await readChatJson(response.data);
      if (!chat) {
        this.sendError(ctx, res, new OpenAIError(502, 'upstream_invalid_json', `Backend "${target.backend.name}" answered with a body that is not a JSON object.`), keepalive);
        return;
      }
      this.noteUsage(ctx, readTokenUsage(chat.usage));
      if (!ctx.stream) {
        res.status(200);
        await writeBridgedJson(res, bridge, chat);
        return;
      }
      // The client asked for a stream but the backend answered whole: translate it as a one-chunk stream.
      this.startEventStream(res, keepalive);
      const translator = bridge.streamTranslator();
      const text = translator.push(completionAsChunk(chat)) + (await translator.end());
      outcome.bytesRelayed = Buffer.byteLength(text);
      if (!res.destroyed) res.end(text);
      return;
    }
    this.startEventStream(res, keepalive);
    const result = await pumpBridgedStream(response.data, res, bridge.streamTranslator(), target.backend.name);
    outcome.bytesRelayed = result.bytes;
    this.noteUsage(ctx, result.usage);
    if (result.failure) {
      recordUpstreamError(outcome, target.backend.name, `stream_${result.failure}`);
      outcome.errorCode = result.failure === 'idle_timeout' ? 'stream_idle_timeout' : 'upstream_stream_error';
      this.logger.warn({
        request_id: (res.req as RouterRequest).requestId,
        backend: target.backend.name,
        bytes_relayed: result.bytes,
        msg: `backend "${target.backend.name}" stream failed (${result.failure}) after ${result.bytes} bytes relayed`,
      });
    }
  }

  private startEventStream(res: Response, keepalive: KeepAlive | undefined): void {
    if (keepalive?.committed || res.headersSent) return;
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
  }

  private noteUsage(ctx: ProxyContext, usage: ReturnType<typeof readTokenUsage>): void {
    if (!usage) return;
    ctx.outcome.promptTokens = usage.promptTokens;
    ctx.outcome.completionTokens = usage.completionTokens;
    ctx.outcome.totalTokens = usage.totalTokens;
  }

  private sendError(ctx: ProxyContext, res: Response, error: OpenAIError, keepalive: KeepAlive | undefined): void {
    ctx.outcome.status = error.status;
    ctx.outcome.errorCode = error.code;
    if (res.writableEnded || res.destroyed) return;
    if (keepalive?.committed) {
      keepalive.stop();
      res.end(ctx.bridge ? ctx.bridge.streamTranslator().fail(error.message, error.code) : sseErrorEventIn(ctx.dialect, error.message, error.code, error.type, error.status));
      return;
    }
    writeErrorIn(ctx.dialect, res, error);
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

/**
 * For streams whose upstream is slow to answer: after `intervalMs` without headers, commit to a 200
 * event stream and send SSE comments so tunnels and proxies keep the connection open.
 */
class KeepAlive {
  committed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly res: Response,
    private readonly intervalMs: number,
    private readonly text = ': keep-alive\n\n',
  ) {
    this.timer = setTimeout(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (!this.committed) {
      this.committed = true;
      this.res.status(200);
      this.res.setHeader('content-type', 'text/event-stream; charset=utf-8');
      this.res.setHeader('cache-control', 'no-cache');
      this.res.setHeader('x-accel-buffering', 'no');
    }
    this.res.write(this.text);
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
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

function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
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

async function readSome(stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= limit) break;
    }
  } catch {
    // whatever arrived is enough for an error message
  }
  stream.destroy();
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}

/** OpenAI's {"error":{"message":…}}, or Anthropic's {"type":"error","error":{"type":…,"message":…}}. */
function isErrorBodyIn(dialect: ErrorDialect, text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { type?: unknown; error?: unknown };
    const error = parsed?.error as { message?: unknown; type?: unknown } | undefined;
    if (typeof error !== 'object' || error === null || typeof error.message !== 'string') return false;
    return dialect === 'openai' || (parsed.type === 'error' && typeof error.type === 'string');
  } catch {
    return false;
  }
}

function upstreamErrorMessage(backend: string, status: number, text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const inner = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message ?? parsed.message ?? parsed.detail;
    if (typeof inner === 'string') return `Backend "${backend}" answered ${status}: ${inner}`;
  } catch {
    // not JSON
  }
  // A short plain-text reason is worth showing; an HTML error page is not.
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return snippet && !snippet.startsWith('<') ? `Backend "${backend}" answered ${status}: ${snippet}` : `Backend "${backend}" answered ${status}.`;
}

function usageOfJson(body: Buffer) {
  if (body.indexOf('"usage"') === -1) return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { usage?: unknown };
    return readTokenUsage(parsed.usage);
  } catch {
    return undefined;
  }
}
