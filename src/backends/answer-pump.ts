import { finished, Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import type { Response } from 'express';
import { SHUTTING_DOWN, SHUTTING_DOWN_MESSAGE } from '../common/proxy-context';
import { UpstreamSource } from './upstream-source';
import type { TokenUsage } from './sse-monitor';

// The one pump every answer leaves through, relayed or bridged: upstream body -> stage -> client. The
// stage (a Transform) is the wire format's: the plain SSE checks, or a translator to the client's API.
// The stage is piped to the client (backpressure both ways) and stream.finished watches the client (one
// that leaves lets the upstream go). The upstream's own failures (a reset, an idle timeout) do not tear
// the client's answer down: they are handed to the stage, which ends the answer with the caller's
// terminal error event. Not stream.pipeline: its per-stream AbortController, destroyers and end-of-stream
// listeners cost 7 KiB of heap per open stream (measured on Node 24), a third more memory per stream.

/** How an upstream stream failed: idle_timeout | reset | shutdown | truncated | garbage | upstream_error | too_large | internal */
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

  /** Ends the answer with the terminal error event (about the backend) and throws the rest of the upstream away. */
  protected fail(failure: StreamFailure, message: string, code = 'upstream_stream_error'): void {
    this.failWith(failure, `Backend "${this.backendName}" ${message}`, code);
  }

  private failWith(failure: StreamFailure, message: string, code: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.failure = failure;
    let text: string;
    try {
      text = this.failureText(message, code);
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
    if (failure === 'shutdown') this.failWith(failure, SHUTTING_DOWN_MESSAGE, SHUTTING_DOWN);
    else if (failure === 'idle_timeout') this.fail(failure, 'sent nothing for too long (stream_idle_timeout_ms); the stream was stopped.', 'stream_idle_timeout');
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
      source.failure = error.code === 'UND_ERR_BODY_TIMEOUT' ? 'idle_timeout' : error.code === SHUTTING_DOWN ? 'shutdown' : 'reset';
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
