import type { Response } from 'express';
import { setEventStreamHead } from './response-relay';

/**
 * For streams whose upstream is slow to answer: after `intervalMs` without headers, commit to a 200
 * event stream and send SSE comments (or the bridge's ping event) so tunnels and proxies keep the
 * connection open.
 */
export class StreamKeepAlive {
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
      setEventStreamHead(this.res);
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
