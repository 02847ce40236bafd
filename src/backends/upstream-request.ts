import type { JsonObject, ProxyContext } from '../common/proxy-context';
import { OpenAIError } from '../common/openai-error';
import { rewriteForTarget } from '../transform/backend-rewrites';
import type { SentTarget } from './answer-relay.service';

const BASE_RETRY_DELAY_MS = 250;

/** The body one target receives: the client's body with its model (bridged: converted to chat) and the backend's rewrites. */
function upstreamBody(ctx: ProxyContext, target: SentTarget): JsonObject {
  // A Gemini body names its model in the path only; the router put it in the body to route it.
  if (!target.bridged && ctx.nativePath) return withoutModel(ctx.body);
  let body: JsonObject = { ...ctx.body, model: target.model };
  if (target.bridged && ctx.bridge) body = ctx.bridge.toChatBody(body, target.backend);
  return rewriteForTarget(body, target.backend);
}

function withoutModel(body: JsonObject): JsonObject {
  const { model: _model, ...rest } = body;
  return rest;
}

/** The body as sent to one target (each backend, each pool member, gets its own rewrites). */
export function serializedBody(ctx: ProxyContext, target: SentTarget): string {
  return serializeBody(upstreamBody(ctx, target));
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
