import type { Request } from 'express';
import type { CompiledBackend, RouterConfig } from '../config/compiled-config';
import type { Endpoint } from '../config/router-config';
import type { ClientKey } from './client-key';
import type { AnswerBridge, ErrorDialect } from './answer-bridge';

export type JsonObject = Record<string, unknown>;

/** One place a request may go: a backend and the model name it knows. */
export interface RouteTarget {
  backend: CompiledBackend;
  model: string;
}

/** What the router knows about one proxied request; lives on `req.llmrouter` from the transform pipeline on. */
export interface ProxyContext {
  endpoint: Endpoint;
  /** A snapshot: a config reload mid-request does not change where this request goes. */
  config: RouterConfig;
  /** The client body; the transform steps replace it with their result, never mutate it (they copy what they change). */
  body: JsonObject;
  /** The model as the client sent it. */
  requestedModel: string;
  /** After alias resolution: one or more `prefix/model` names, tried in order. */
  targetModels: readonly string[];
  stream: boolean;
  /** The dialect of the router's own errors for this caller. */
  dialect: ErrorDialect;
  /** Set by a front door of another API: backends without the endpoint but with chat/completions are bridged. */
  bridge?: AnswerBridge;
  /**
   * Where a backend serving the client's endpoint natively takes a target's request, when that is not
   * `/{endpoint}` (Gemini: `models/{model}:streamGenerateContent?alt=sse`).
   */
  nativePath?: (model: string) => string;
  /** process.hrtime.bigint() when the request reached the router. */
  startedAt: bigint;
  outcome: RequestOutcome;
}

/** Filled in as the request goes; read by logs, metrics and usage accounting when it ends. */
export interface RequestOutcome {
  backend?: string;
  upstreamModel?: string;
  status?: number;
  /** Set when the router, not the upstream, decided the answer (e.g. backend_timeout). */
  errorCode?: string;
  /** refused | timeout | reset | http_<status> | … — for upstream error metrics. */
  upstreamErrors: string[];
  /** The backend behind each entry of upstreamErrors (same order), so metrics blame the right one. */
  upstreamErrorBackends?: string[];
  attempts: number;
  ttfbMs?: number;
  totalMs?: number;
  /** Time the router spent on its own: before the upstream request was sent, plus relaying. */
  overheadMs?: number;
  bytesRelayed: number;
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
}

export interface RouterRequest extends Request {
  llmrouter?: ProxyContext;
  /** Name of the client key that authenticated this request ("default" for the router key). */
  apiKeyName?: string;
  /** That key itself, resolved once by ApiKeyGuard. */
  clientKey?: ClientKey;
  requestId?: string;
  /** While the request is forwarded: stops its upstream call (graceful shutdown ends open streams with it). */
  stopUpstream?: (reason: Error) => void;
  /** Set by dialectOf (error-dialect.ts) on first use; read through it. */
  errorDialect?: ErrorDialect;
}

/** The code of the error a stream is stopped with when the router shuts down (the stream's terminal event carries it). */
export const SHUTTING_DOWN = 'router_shutting_down';
export const SHUTTING_DOWN_MESSAGE = 'The router is shutting down and stopped this stream; send the request again.';

/** The reason given to stopUpstream on shutdown; relays end the stream with the dialect's error event. */
export function shuttingDown(): Error & { code: string } {
  return Object.assign(new Error(SHUTTING_DOWN_MESSAGE), { code: SHUTTING_DOWN });
}

export function newOutcome(): RequestOutcome {
  return { upstreamErrors: [], attempts: 0, bytesRelayed: 0 };
}

/** Notes one failed upstream attempt and the backend it went to. */
export function recordUpstreamError(outcome: RequestOutcome, backend: string, kind: string): void {
  outcome.upstreamErrors.push(kind);
  (outcome.upstreamErrorBackends ??= []).push(backend);
}

/** Milliseconds since a process.hrtime.bigint() stamp. */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
