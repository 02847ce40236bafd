import type { ErrorDialect } from '../common/answer-bridge';
import { sseErrorEventIn } from '../common/error-dialect';
import { AnswerStage } from './answer-pump';
import { MAX_EVENT_SIZE } from './sse-event-reader';
import { SseMonitor } from './sse-monitor';

/**
 * The stage of an event stream relayed on the client's own endpoint: the bytes go as they came (each
 * batch the upstream delivered together is one write), watched by the SseMonitor. Bytes that are not an
 * event stream, or a stream cut short before its terminator, end the answer with an error event in the
 * caller's dialect after the whole events before the fault.
 */
export class SseRelayStage extends AnswerStage {
  private readonly monitor = new SseMonitor();

  constructor(
    backendName: string,
    private readonly dialect: ErrorDialect,
    /** Expect [DONE] or a final event; a stream ending without one is reported as cut short. */
    private readonly requireTerminator: boolean,
  ) {
    super(backendName);
  }

  protected takeChunk(chunk: Buffer): void {
    const sound = this.monitor.push(chunk);
    this.usage = this.monitor.usage;
    if (sound === chunk.length) {
      this.send(chunk);
      return;
    }
    // The whole events before the fault still reach the client, then the final error event.
    if (sound > 0) this.send(chunk.subarray(0, sound));
    if (this.monitor.tooLarge) this.fail('too_large', `sent an event larger than the router accepts (${MAX_EVENT_SIZE} bytes); the stream was stopped.`);
    else this.fail('garbage', 'sent data that is not a valid event stream; the stream was stopped.');
  }

  protected finishText(): string {
    if (this.requireTerminator && !this.monitor.complete) this.fail('truncated', 'closed the stream before it was complete.');
    return '';
  }

  protected failureText(message: string, code: string): string {
    return sseErrorEventIn(this.dialect, message, code);
  }
}
