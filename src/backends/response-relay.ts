import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Response } from 'express';
import { wellFormed } from '../common/client-text';

// Copies an upstream response to the client: the status, the headers worth keeping, and the body byte
// for byte as it arrives, with backpressure (a slow client makes us read the upstream slowly).

// content-encoding: we ask for identity, but a backend that compresses anyway is relayed as it is (the
// bytes are passed on undecoded, so the client must know how to read them).
const RELAYED = new Set(['content-type', 'content-encoding', 'retry-after', 'retry-after-ms', 'openai-processing-ms', 'openai-version']);

export function relayHeaders(upstream: IncomingHttpHeaders | Record<string, unknown>, res: Response, isStream: boolean): void {
  // One pass over the upstream's headers (undici gives them with lower-case names).
  for (const name in upstream) {
    if (RELAYED.has(name) || name.startsWith('x-ratelimit-')) res.setHeader(name, upstream[name] as string);
    else if (name === 'x-request-id') res.setHeader('x-upstream-request-id', upstream[name] as string);
  }
  if (isStream) {
    setNoBuffering(res);
  } else if (upstream['content-length'] !== undefined) {
    res.setHeader('content-length', upstream['content-length'] as string);
  }
}

/** A stream must reach the client as it comes: no cache, and no buffering in nginx. */
function setNoBuffering(res: Response): void {
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('x-accel-buffering', 'no');
}

/** The head of an event stream the router itself writes (keep-alive comments, bridged answers). */
export function setEventStreamHead(res: Response): void {
  res.status(200);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  setNoBuffering(res);
}

/** Whether a body comes as it is, not compressed: only then is it read (stream checks, usage). */
export function isIdentityEncoded(headers: Record<string, unknown>): boolean {
  const encoding = headers['content-encoding'];
  return encoding === undefined || encoding === 'identity';
}

/**
 * A client-chosen value (a model name) as a header value: percent-encoded when it is not plain ASCII,
 * cut to a length every HTTP client accepts.
 */
export function headerSafe(value: string, maxLength = 512): string {
  const safe = /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(wellFormed(value));
  return safe.length <= maxLength ? safe : `${safe.slice(0, maxLength)}...`;
}

const ignoreError = () => undefined;

/**
 * Stops reading an upstream body and frees its connection. undici's body emits an abort error when
 * destroyed before its end; with no listener left that error would crash the process.
 */
export function discardBody(body: Readable): void {
  ignoreErrorsOf(body);
  if (!body.destroyed) body.destroy();
}

function ignoreErrorsOf(body: Readable): void {
  if (!body.listeners('error').includes(ignoreError)) body.on('error', ignoreError);
}

/**
 * An event stream's headers go out with its first events (one socket write for both). When no event came
 * with the upstream's headers, they are sent on their own once this tick's work is done, so the client
 * sees the stream open while the backend thinks.
 */
export function flushHeadersUnlessSent(res: Response): void {
  setImmediate(() => {
    if (!res.headersSent && !res.writableEnded && !res.destroyed) res.flushHeaders();
  });
}

/** Up to `limit` bytes of a body (for an error message), then the body is let go. */
export async function readSome(stream: Readable, limit: number): Promise<string> {
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

/** Small enough to read to the end rather than close the connection. */
const DRAIN_LIMIT = 64 * 1024;
const DRAIN_MS = 1000;

/**
 * Throws away the body of an answer that is not relayed (a retried 429/5xx). A small one is read to its
 * end (for at most a second) so its keep-alive connection serves the retry; a larger one is destroyed.
 */
export function drainBody(body: Readable): void {
  const dump = (body as Readable & { dump?: (opts: { limit: number; signal: AbortSignal }) => Promise<unknown> }).dump;
  if (typeof dump !== 'function') return discardBody(body);
  ignoreErrorsOf(body);
  dump.call(body, { limit: DRAIN_LIMIT, signal: AbortSignal.timeout(DRAIN_MS) }).catch(ignoreError);
}
