import type { Readable } from 'node:stream';
import type { StreamFailure } from './answer-pump';
import { discardBody } from './response-relay';

/** After [DONE], what the upstream still sends is read for at most this long so its connection is reused. */
const DRAIN_MS = 1000;

/** The upstream body: what was read of it, how it failed, and how it is let go. */
export class UpstreamSource {
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
