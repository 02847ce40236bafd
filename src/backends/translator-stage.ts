import type { ErrorDialect, StreamTranslator } from '../common/answer-bridge';
import { sseErrorEventIn } from '../common/error-dialect';
import { isObject } from '../common/json';
import type { JsonObject } from '../common/proxy-context';
import { AnswerStage } from './answer-pump';
import { EventTooLargeError, SseEventReader } from './sse-event-reader';
import { readTokenUsage } from './sse-monitor';

/**
 * The stage of a bridged answer: the upstream's Chat Completions event stream in, the client's API out,
 * through any front door's StreamTranslator (a pure state machine: chunk in, events out). Events are
 * capped in size by the reader; an event that is not JSON, an error the backend reports mid-stream, or a
 * chunk the translator cannot take ends the answer with the translator's own terminal events.
 */
export class TranslatorStage extends AnswerStage {
  private readonly reader = new SseEventReader();
  private sawFinish = false;

  constructor(
    private readonly translator: StreamTranslator,
    backendName: string,
    /** For the last-resort error event, should the translator itself fail to write one. */
    private readonly dialect: ErrorDialect,
  ) {
    super(backendName);
  }

  protected takeChunk(chunk: Buffer): void | Promise<void> {
    let payloads: string[];
    try {
      payloads = this.reader.push(chunk);
    } catch (error) {
      if (!(error instanceof EventTooLargeError)) throw error;
      this.fail('too_large', `sent an event larger than the router accepts (${error.limit} bytes); the stream was stopped.`);
      return;
    }
    return this.takeEvents(payloads);
  }

  /** Handles the events in order; [DONE] completes the answer. */
  private takeEvents(payloads: string[]): void | Promise<void> {
    for (const payload of payloads) {
      if (this.stopped) return;
      if (payload === '[DONE]') return this.complete(() => this.translator.end());
      this.takeEvent(payload);
    }
  }

  private takeEvent(payload: string): void {
    let event: unknown;
    try {
      event = JSON.parse(payload);
    } catch {
      return this.fail('garbage', 'sent an event that is not JSON; the stream was stopped.');
    }
    if (!isObject(event)) return this.fail('garbage', 'sent an event that is not a JSON object; the stream was stopped.');
    if (event.error !== undefined) {
      const inner = event.error as { message?: unknown } | string;
      const detail = typeof inner === 'string' ? inner : typeof inner?.message === 'string' ? inner.message : 'an error';
      return this.fail('upstream_error', `reported an error mid-stream: ${detail}`);
    }
    const usage = readTokenUsage(event.usage);
    if (usage) this.usage = usage;
    if (Array.isArray(event.choices) && (event.choices as JsonObject[]).some((c) => c?.finish_reason)) this.sawFinish = true;
    let text: string;
    try {
      text = this.translator.push(event);
    } catch (error) {
      return this.fail('garbage', `sent a chunk the router could not translate (${(error as Error).message}).`);
    }
    this.send(text);
  }

  protected finishText(): string | Promise<string> {
    let pending: void | Promise<void> = undefined;
    try {
      pending = this.takeEvents(this.reader.flush());
    } catch {
      this.fail('too_large', 'sent an event larger than the router accepts; the stream was stopped.');
    }
    if (pending) return pending.then(() => '');
    if (this.stopped) return '';
    // No [DONE]: a stream that reached its finish_reason is complete enough; one that did not was cut short.
    if (!this.sawFinish) {
      this.fail('truncated', 'closed the stream before it was complete.');
      return '';
    }
    return this.translator.end();
  }

  protected failureText(message: string, code: string): string {
    try {
      return this.translator.fail(message, code);
    } catch {
      return sseErrorEventIn(this.dialect, message, code);
    }
  }
}
