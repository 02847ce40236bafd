import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Response } from 'express';
import type { ErrorDialect } from '../common/answer-bridge';
import { wellFormed } from '../common/client-text';
import { sseErrorEventIn } from '../common/error-dialect';
import { SHUTTING_DOWN, SHUTTING_DOWN_MESSAGE } from '../common/proxy-context';
import type { SseMonitor } from './sse-monitor';

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

export interface PumpResult {
  bytes: number;
  /** Why the stream failed, when it did: idle_timeout | reset | truncated | garbage */
  failure?: string;
  /** The last `tailBytes` (or a little more) of the body, when asked for. */
  tail?: Buffer;
}

export interface PumpOptions {
  /** SSE: watch the stream, end it with an error event on failure. */
  monitor?: SseMonitor;
  /** Expect a [DONE] / final event; a stream ending without one is reported as cut short. */
  requireTerminator: boolean;
  /** Keep the last this many bytes of the body (a JSON answer's usage is at its end); 0 keeps nothing. */
  tailBytes: number;
  backendName: string;
  /** The format of the final error event when a stream fails. */
  dialect?: ErrorDialect;
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

/**
 * Pipes `body` into `res` and resolves when either side is done. Never throws.
 *
 * Chunks that arrive together (one socket read of the upstream can hold dozens of SSE events) are written
 * to the client as one chunk at the end of the tick: one chunk frame and one socket write instead of one
 * per event, and one pass of the stream checks. Nothing waits for more data than has already arrived.
 */
export function pump(body: Readable, res: Response, opts: PumpOptions): Promise<PumpResult> {
  return new Promise((resolve) => {
    const result: PumpResult = { bytes: 0 };
    // The tail: the last chunks whose size reaches tailBytes, never a copy of the whole body.
    const tail: Buffer[] = [];
    let tailSize = 0;
    // What arrived in this tick, written by flush().
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    let flushQueued = false;
    let done = false;

    const finish = () => {
      if (done) return;
      done = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      res.off('close', onClose);
      res.off('drain', onDrain);
      if (tail.length > 0) result.tail = tail.length === 1 ? tail[0] : Buffer.concat(tail);
      resolve(result);
    };
    const failStream = (failure: string, message: string) => {
      result.failure = failure;
      discardBody(body);
      if (opts.monitor && !res.writableEnded && !res.destroyed) {
        const text = failure === 'shutdown' ? SHUTTING_DOWN_MESSAGE : `Backend "${opts.backendName}" ${message}`;
        res.end(sseErrorEventIn(opts.dialect ?? 'openai', text, failure === 'idle_timeout' ? 'stream_idle_timeout' : failure === 'shutdown' ? SHUTTING_DOWN : 'upstream_stream_error'));
      } else if (!res.writableEnded) {
        // A JSON body cut short cannot be mended: close the connection so the client sees the failure.
        res.destroy();
      }
      finish();
    };
    const flush = () => {
      flushQueued = false;
      if (done || pendingBytes === 0) return;
      const chunk = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      pending.length = 0;
      pendingBytes = 0;
      const sound = opts.monitor ? opts.monitor.push(chunk) : chunk.length;
      if (sound < chunk.length) {
        // The whole events before the fault still reach the client, then the final error event.
        if (sound > 0) {
          result.bytes += sound;
          res.write(chunk.subarray(0, sound));
        }
        failStream('garbage', 'sent data that is not a valid event stream; the stream was stopped.');
        return;
      }
      result.bytes += chunk.length;
      if (opts.tailBytes > 0) {
        tail.push(chunk);
        tailSize += chunk.length;
        while (tail.length > 1 && tailSize - tail[0].length >= opts.tailBytes) tailSize -= tail.shift()!.length;
      }
      if (!res.write(chunk)) {
        body.pause();
        res.once('drain', onDrain);
      }
    };
    const onData = (chunk: Buffer) => {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (!flushQueued) {
        flushQueued = true;
        process.nextTick(flush);
      }
    };
    const onDrain = () => body.resume();
    const onEnd = () => {
      flush();
      if (done) return;
      if (opts.monitor && opts.requireTerminator && !opts.monitor.complete) {
        failStream('truncated', 'closed the stream before it was complete.');
        return;
      }
      res.end();
      finish();
    };
    const onError = (err: unknown) => {
      // What arrived before the fault is relayed first.
      flush();
      if (done) return;
      const code = (err as { code?: string }).code;
      if (code === 'UND_ERR_BODY_TIMEOUT') failStream('idle_timeout', 'sent nothing for too long (stream_idle_timeout_ms); the stream was stopped.');
      else if (code === SHUTTING_DOWN) failStream('shutdown', SHUTTING_DOWN_MESSAGE);
      else failStream('reset', 'dropped the connection mid-response.');
    };
    const onClose = () => {
      if (res.writableFinished) return;
      discardBody(body);
      finish();
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
    res.once('close', onClose);
  });
}
