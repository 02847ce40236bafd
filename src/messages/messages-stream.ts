import type { StreamTranslator } from '../common/answer-bridge';
import type { JsonObject } from '../common/proxy-context';
import { argumentsText, isObject, textOf } from '../common/json';
import {
  anthropicUsage,
  newMessageId,
  newToolUseId,
  reasoningOf,
  stopReasonFor,
  type AnthropicUsage,
  type MessagesAnswerContext,
} from './messages-response';
import { ToolInputFilter } from './tool-input-filter';

// Chat Completions stream chunks -> Anthropic Messages stream events. A small state machine that knows
// nothing of HTTP: each chunk in gives the SSE text to send out. The order it guarantees is the one the
// Anthropic SDK's MessageStream relies on: message_start once; per content block start -> deltas -> stop,
// indexes strictly increasing, never a delta outside its open block; message_delta; message_stop.

/** Sent during slow starts in place of SSE comments. */
export const PING_EVENT = sseEvent('ping', { type: 'ping' });

interface ToolCallState {
  id?: string;
  name: string;
  /** Arguments received before the block could open. */
  args: string;
  state: 'pending' | 'open' | 'closed';
  input: ToolInputFilter;
}

type OpenBlock = { kind: 'thinking' | 'text'; index: number } | { kind: 'tool'; index: number; call: number };

export class MessagesStreamTranslator implements StreamTranslator {
  private started = false;
  private finished = false;
  private nextIndex = 0;
  private open: OpenBlock | undefined;
  private readonly calls = new Map<number, ToolCallState>();
  private sawToolUse = false;
  private finishReason: unknown;
  private matchedStop: unknown;
  private usage: AnthropicUsage = anthropicUsage(undefined);

  constructor(private readonly answer: MessagesAnswerContext) {}

  /** One parsed chat.completion.chunk in; the SSE events it makes out (often none). */
  push(chunk: JsonObject): string {
    if (this.finished || !isObject(chunk)) return '';
    if (isObject(chunk.error)) {
      const message = typeof chunk.error.message === 'string' ? chunk.error.message : 'The backend reported an error mid-stream.';
      return this.fail(message);
    }
    let out = this.start();
    if (isObject(chunk.usage)) this.usage = anthropicUsage(chunk.usage);
    const choice = Array.isArray(chunk.choices) && isObject(chunk.choices[0]) ? chunk.choices[0] : undefined;
    if (!choice) return out;
    const delta = isObject(choice.delta) ? choice.delta : {};
    const reasoning = reasoningOf(delta);
    if (reasoning) out += this.blockDelta('thinking', { type: 'thinking_delta', thinking: reasoning });
    const text = textOf(delta.content);
    if (text !== '') out += this.blockDelta('text', { type: 'text_delta', text });
    if (Array.isArray(delta.tool_calls)) {
      delta.tool_calls.forEach((call, position) => {
        if (isObject(call)) out += this.toolCallDelta(call, position);
      });
    }
    if (choice.finish_reason !== undefined && choice.finish_reason !== null) {
      this.finishReason = choice.finish_reason;
      this.matchedStop = choice.stop_reason;
      out += this.closeAll();
    }
    return out;
  }

  /** The upstream stream ended properly: close what is open and finish the message. */
  end(): string {
    if (this.finished) return '';
    let out = this.start() + this.closeAll();
    this.finished = true;
    const stop = stopReasonFor(this.finishReason, this.sawToolUse, this.matchedStop, this.answer.stopSequences);
    out += sseEvent('message_delta', { type: 'message_delta', delta: stop, usage: this.usage });
    return out + sseEvent('message_stop', { type: 'message_stop' });
  }

  /** The stream cannot go on: an Anthropic error event, which makes the SDKs raise. (Mid-stream, any cause is an api_error.) */
  fail(message: string, _code?: string): string {
    if (this.finished) return '';
    this.finished = true;
    return sseEvent('error', { type: 'error', error: { type: 'api_error', message } });
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    const message = {
      id: newMessageId(),
      type: 'message',
      role: 'assistant',
      model: this.answer.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: this.usage,
    };
    return sseEvent('message_start', { type: 'message_start', message });
  }

  /** A thinking or text delta, in a block of its kind (opened here when another kind is open). */
  private blockDelta(kind: 'thinking' | 'text', delta: JsonObject): string {
    let out = '';
    if (this.open?.kind !== kind) {
      out += this.flushPendingCalls() + this.closeOpen();
      const block = kind === 'thinking' ? { type: 'thinking', thinking: '', signature: '' } : { type: 'text', text: '' };
      out += this.openBlock({ kind, index: this.nextIndex }, block);
    }
    return out + sseEvent('content_block_delta', { type: 'content_block_delta', index: this.open!.index, delta });
  }

  /**
   * A tool call opens its block once its id, its whole name and the start of its arguments are known
   * (backends send them in one chunk or in pieces); whatever came before is sent right after the start.
   */
  private toolCallDelta(delta: JsonObject, position: number): string {
    const index = typeof delta.index === 'number' ? delta.index : position;
    const fn = isObject(delta.function) ? delta.function : {};
    const args = argumentsText(fn.arguments);
    let out = '';
    // Arguments of this call mean the others that had started theirs are done. A call with nothing but
    // its head yet waits: backends may send every head first and the arguments after.
    if (args !== '') for (const [other, call] of this.calls) if (other !== index && call.state === 'pending' && call.args !== '') out += this.flushCall(other);
    let call = this.calls.get(index);
    if (!call) {
      call = { name: '', args: '', state: 'pending', input: new ToolInputFilter() };
      this.calls.set(index, call);
    }
    // Interleaved arguments for a call whose block already closed cannot be sent in order: ignored.
    if (call.state === 'closed') return out;
    if (call.state === 'open') return out + this.inputDelta(call, args);
    if (typeof delta.id === 'string' && delta.id !== '' && call.id === undefined) call.id = delta.id;
    // Some backends repeat the whole name in every chunk, others send it in pieces.
    if (typeof fn.name === 'string' && fn.name !== '' && fn.name !== call.name) call.name += fn.name;
    call.args += args;
    if (call.id !== undefined && call.name !== '' && call.args !== '') out += this.openCall(index);
    return out;
  }

  private openCall(index: number): string {
    const call = this.calls.get(index)!;
    if (call.state !== 'pending') return '';
    if (call.name === '') {
      // Nothing a client could run: no block at all rather than a nameless tool_use.
      call.state = 'closed';
      return '';
    }
    let out = this.closeOpen();
    call.state = 'open';
    this.sawToolUse = true;
    out += this.openBlock({ kind: 'tool', index: this.nextIndex, call: index }, { type: 'tool_use', id: call.id ?? newToolUseId(), name: call.name, input: {} });
    out += this.inputDelta(call, call.args);
    call.args = '';
    return out;
  }

  private inputDelta(call: ToolCallState, args: string): string {
    const json = call.input.push(args);
    if (json === '') return '';
    return sseEvent('content_block_delta', { type: 'content_block_delta', index: this.open!.index, delta: { type: 'input_json_delta', partial_json: json } });
  }

  /** A pending call that can wait no longer: its whole block at once. */
  private flushCall(index: number): string {
    const opened = this.openCall(index);
    return opened === '' ? '' : opened + this.closeOpen();
  }

  private openBlock(block: OpenBlock, contentBlock: JsonObject): string {
    this.open = block;
    this.nextIndex++;
    return sseEvent('content_block_start', { type: 'content_block_start', index: block.index, content_block: contentBlock });
  }

  private closeOpen(): string {
    const open = this.open;
    if (!open) return '';
    this.open = undefined;
    if (open.kind === 'tool') this.calls.get(open.call)!.state = 'closed';
    return sseEvent('content_block_stop', { type: 'content_block_stop', index: open.index });
  }

  private flushPendingCalls(): string {
    let out = '';
    for (const [index, call] of this.calls) if (call.state === 'pending') out += this.flushCall(index);
    return out;
  }

  private closeAll(): string {
    return this.closeOpen() + this.flushPendingCalls();
  }
}

export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
