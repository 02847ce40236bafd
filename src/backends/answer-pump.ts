import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Response } from 'express';
import { discardBody } from './response-relay';
import type { TokenUsage } from './sse-monitor';

// The one pump every answer leaves through, relayed or bridged: stream.pipeline(upstream chunks, stage,
// client). The stage (a Transform) is the wire format's: the plain SSE checks, or a translator to the
// client's API. Backpressure, a client that leaves, and the teardown of the upstream are pipeline's.
// The upstream's own failures (a reset, an idle timeout) do not tear the client's answer down: they are
// handed to the stage, which ends the answer with the caller's terminal error event.

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

/** Pipes an upstream answer to the client through its stage; resolves when both sides are done. Never rejects. */
export function pumpAnswer(body: Readable, res: Response, opts: PumpOptions): Promise<PumpResult> {
  const { stage, tailBytes } = opts;
  const source = new UpstreamSource(body, tailBytes, stage);
  if (stage) stage.stopUpstream = (how) => source.stop(how);
  return new Promise((resolve) => {
    const done = (error: NodeJS.ErrnoException | null | undefined) => {
      source.settle();
      const result: PumpResult = {
        bytes: stage ? stage.bytes : source.bytes,
        usage: stage?.usage,
        failure: stage?.failure ?? source.failure,
        clientGone: !!error && !res.writableFinished && !source.failure,
      };
      if (source.tail.length > 0) result.tail = source.tail.length === 1 ? source.tail[0] : Buffer.concat(source.tail);
      resolve(result);
    };
    if (stage) pipeline(source.chunks(), stage, res, done);
    else pipeline(source.chunks(), res, done);
  });
}

/** The upstream body as the pipeline's source: its failures classified and handed to the stage. */
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
    private readonly stage: AnswerStage | undefined,
  ) {}

  async *chunks(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of this.body) {
        if (this.draining) continue;
        this.bytes += (chunk as Buffer).length;
        if (this.tailBytes > 0) this.keepTail(chunk as Buffer);
        yield chunk as Buffer;
      }
    } catch (error) {
      if (this.stopped || this.draining) return;
      this.failure = (error as { code?: string }).code === 'UND_ERR_BODY_TIMEOUT' ? 'idle_timeout' : 'reset';
      // Without a stage (a JSON body cut short) nothing can mend the answer: the client's connection is closed.
      if (!this.stage) throw error;
      this.stage.noteUpstreamFailure(this.failure);
    }
  }

  stop(how: 'drain' | 'discard'): void {
    if (how === 'drain' && !this.stopped) {
      this.draining = true;
      this.drainTimer ??= setTimeout(() => this.stop('discard'), DRAIN_MS).unref();
      return;
    }
    this.stopped = true;
    discardBody(this.body);
  }

  /** The pipeline is done: nothing of the upstream is kept. */
  settle(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (!this.body.readableEnded) discardBody(this.body);
  }

  private keepTail(chunk: Buffer): void {
    this.tail.push(chunk);
    this.tailSize += chunk.length;
    while (this.tail.length > 1 && this.tailSize - this.tail[0].length >= this.tailBytes) this.tailSize -= this.tail.shift()!.length;
  }
}
