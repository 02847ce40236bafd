import { finished, Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import type { Response } from 'express';
import { discardBody } from './response-relay';
import type { TokenUsage } from './sse-monitor';

// The one pump every answer leaves through, relayed or bridged: upstream body -> stage -> client. The
// stage (a Transform) is the wire format's: the plain SSE checks, or a translator to the client's API.
// The stage is piped to the client (backpressure both ways) and stream.finished watches the client (one
// that leaves lets the upstream go). The upstream's own failures (a reset, an idle timeout) do not tear
// the client's answer down: they are handed to the stage, which ends the answer with the caller's
// terminal error event. Not stream.pipeline: its per-stream AbortController, destroyers and end-of-stream
// listeners cost 7 KiB of heap per open stream (measured on Node 24), a third more memory per stream.

/** How an upstream stream failed: idle_timeout | reset | truncated | garbage | upstream_error | too_large | internal */
export type StreamFailure = string;

export interface PumpResult {
  /** Bytes written to the client. */
  bytes: number;
  usage?: TokenUsage;
  failure?: StreamFailure;
  /** The client left before its answer was complete. */
  clientGone: boolean;
  /** The last `tailBytes` (or a little more) of the upstream body, when asked for. */
  tail?: Buffer;
}

/** What is left of the upstream after a stage has what it needs: drained for reuse, or thrown away. */
export type StopUpstream = (how: 'drain' | 'discard') => void;

/** After [DONE], what the upstream still sends is read for at most this long so its connection is reused. */
const DRAIN_MS = 1000;

/**
 * A wire-format stage. Subclasses take upstream chunks (`takeChunk`) and push the client's bytes; every
 * outcome ends with exactly one of `finishText` (a proper end) or `failureText` (the terminal error
 * event), and nothing a subclass throws leaves the stage: it becomes that terminal event.
 */
export abstract class AnswerStage extends Transform {
  failure?: StreamFailure;
  usage?: TokenUsage;
  bytes = 0;
  /** Set by the pump. */
  stopUpstream: StopUpstream = () => undefined;
  private upstreamFailure: StreamFailure | undefined;
  /** The answer is decided: nothing more is taken or written. */
  protected stopped = false;

  constructor(protected readonly backendName: string) {
    super();
  }

  /** Handles one upstream chunk; may wait (a translator storing its response before its last event). */
  protected abstract takeChunk(chunk: Buffer): void | Promise<void>;
  /** The upstream ended: the closing bytes, or a failure (call fail()) when the stream was cut short. */
  protected abstract finishText(): string | Promise<string>;
  /** The terminal error event in the client's dialect. */
  protected abstract failureText(message: string, code: string): string;

  /** Called by the pump when the upstream body failed before its end. */
  noteUpstreamFailure(failure: StreamFailure): void {
    this.upstreamFailure ??= failure;
  }

  protected send(text: string | Buffer): void {
    if (text.length === 0) return;
    this.bytes += Buffer.byteLength(text);
    this.push(text);
  }

  /** Ends the answer with the terminal error event and throws the rest of the upstream away. */
  protected fail(failure: StreamFailure, message: string, code = 'upstream_stream_error'): void {
    if (this.stopped) return;
    this.stopped = true;
    this.failure = failure;
    let text: string;
    try {
      text = this.failureText(`Backend "${this.backendName}" ${message}`, code);
    } catch {
      text = ''; // a stage's failureText falls back on its own; this is only the last resort
    }
    this.send(text);
    this.push(null);
    this.stopUpstream('discard');
  }

  /** Ends the answer properly with `closing` (e.g. after [DONE]); what the upstream still sends is drained. */
  protected async complete(closing: () => string | Promise<string>): Promise<void> {
    if (this.stopped) return;
    this.stopUpstream('drain');
    await this.closeWith(closing);
  }

  private async closeWith(closing: () => string | Promise<string>): Promise<void> {
    let text: string;
    try {
      text = await closing();
    } catch (error) {
      this.fail('internal', `could not be relayed: the router failed to finish the answer (${(error as Error).message}).`, 'internal_error');
      return;
    }
    if (this.stopped) return; // closing() failed the stream itself
    this.stopped = true;
    this.send(text);
    this.push(null);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.stopped) return done();
    let pending: void | Promise<void>;
    try {
      pending = this.takeChunk(chunk);
    } catch (error) {
      this.fail('internal', `sent a chunk the router could not relay (${(error as Error).message}).`, 'internal_error');
      return done();
    }
    if (!pending) return done();
    pending.then(
      () => done(),
      (error: unknown) => {
        this.fail('internal', `sent a chunk the router could not relay (${(error as Error).message}).`, 'internal_error');
        done();
      },
    );
  }

  override _flush(done: TransformCallback): void {
    if (this.stopped) return done();
    const failure = this.upstreamFailure;
    if (failure === 'idle_timeout') this.fail(failure, 'sent nothing for too long (stream_idle_timeout_ms); the stream was stopped.', 'stream_idle_timeout');
    else if (failure) this.fail(failure, 'dropped the connection mid-response.');
    if (this.stopped) return done();
    void this.closeWith(() => this.finishText()).then(() => done());
  }
}

export interface PumpOptions {
  /** The wire-format stage; without one (a JSON answer) the bytes go as they are. */
  stage?: AnswerStage;
  /** Keep the last this many bytes of the upstream body (a JSON answer's usage is at its end); 0 keeps nothing. */
  tailBytes: number;
}

/**
 * Sends an upstream answer to the client through its stage; resolves when the client's answer is done.
 * Never rejects, and nothing it listens to can throw.
 */
export function pumpAnswer(body: Readable, res: Response, opts: PumpOptions): Promise<PumpResult> {
  const { stage, tailBytes } = opts;
  const source = new UpstreamSource(body, tailBytes);
  const sink: Writable = stage ?? res;
  return new Promise((resolve) => {
    let waiting = false;
    // All the body holds when it is read is taken as one chunk: events that arrived together go together.
    const read = () => {
      waiting = false;
      let chunk: Buffer | null;
      // Once the answer is decided, what the body still holds is read and dropped (drained for reuse).
      while ((chunk = body.read() as Buffer | null) !== null) {
        if (!source.take(chunk)) continue;
        if (!sink.write(chunk)) {
          waiting = true;
          sink.once('drain', read);
          return;
        }
      }
    };
    body.on('readable', () => {
      if (!waiting) read();
    });
    body.on('end', () => sink.end());
    body.on('error', (error: NodeJS.ErrnoException) => {
      if (source.halted) return;
      source.failure = error.code === 'UND_ERR_BODY_TIMEOUT' ? 'idle_timeout' : 'reset';
      if (!stage) {
        // A JSON body cut short cannot be mended: the client's connection is closed.
        res.destroy();
        return;
      }
      stage.noteUpstreamFailure(source.failure);
      stage.end();
    });
    if (stage) {
      stage.stopUpstream = (how) => source.stop(how);
      // A stage ends every outcome with an event and never errors; should one, the connection is closed.
      stage.on('error', () => res.destroy());
      stage.pipe(res);
    }
    finished(res, (error) => {
      source.settle();
      if (error && stage && !stage.destroyed) stage.destroy();
      const result: PumpResult = {
        bytes: stage ? stage.bytes : source.bytes,
        usage: stage?.usage,
        failure: stage?.failure ?? source.failure,
        clientGone: !!error && !res.writableFinished && !source.failure,
      };
      if (source.tail.length > 0) result.tail = source.tail.length === 1 ? source.tail[0] : Buffer.concat(source.tail);
      resolve(result);
    });
  });
}

/** The upstream body: what was read of it, how it failed, and how it is let go. */
class UpstreamSource {
  bytes = 0;
  failure: StreamFailure | undefined;
  readonly tail: Buffer[] = [];
  private tailSize = 0;
  private draining = false;
  private stopped = false;
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly body: Readable,
    private readonly tailBytes: number,
  ) {}

  /** Nothing more of the body goes to the client (drained after the answer's end, or thrown away). */
  get halted(): boolean {
    return this.draining || this.stopped;
  }

  /** Counts a chunk read from the body; false when it is to be dropped. */
  take(chunk: Buffer): boolean {
    if (this.halted) return false;
    this.bytes += chunk.length;
    if (this.tailBytes > 0) this.keepTail(chunk);
    return true;
  }

  stop(how: 'drain' | 'discard'): void {
    if (how === 'drain' && !this.stopped) {
      this.draining = true;
      // What follows [DONE] is read (and dropped) for a while, so the connection can be reused.
      this.drainTimer ??= setTimeout(() => this.stop('discard'), DRAIN_MS).unref();
      return;
    }
    this.stopped = true;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    discardBody(this.body);
  }

  /** The client's answer is done: the body is thrown away unless it ended or is being drained. */
  settle(): void {
    if (this.draining && !this.stopped) return; // the drain timer lets it go
    if (!this.body.readableEnded) this.stop('discard');
  }

  private keepTail(chunk: Buffer): void {
    this.tail.push(chunk);
    this.tailSize += chunk.length;
    while (this.tail.length > 1 && this.tailSize - this.tail[0].length >= this.tailBytes) this.tailSize -= this.tail.shift()!.length;
  }
}
