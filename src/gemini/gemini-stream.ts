import type { StreamTranslator } from '../common/answer-bridge';
import { sseErrorEventIn } from '../common/error-dialect';
import type { JsonObject } from '../common/proxy-context';
import { reasoningOf } from '../messages/messages-response';
import { argumentsText, isObject, textOf } from '../common/json';
import { finishReasonFor, functionCallPart, newResponseId, usageMetadata, type GeminiAnswerContext } from './gemini-response';

// Chat Completions stream chunks -> Gemini streamGenerateContent (alt=sse) events. A small state machine
// that knows nothing of HTTP: one `data:` event per piece of text or reasoning as it arrives; tool calls
// are collected until their arguments are complete and sent whole as functionCall parts in the last event,
// which also carries finishReason and usageMetadata. Failures end with Google's error event, which the
// Gen AI SDK raises as an ApiError.

/** One tool call's arguments may not grow past this: a stream that never ends one is an error. */
export const MAX_TOOL_ARGUMENTS = 4 << 20;

interface ToolCallState {
  id?: string;
  name: string;
  args: string;
}

export class GeminiStreamTranslator implements StreamTranslator {
  private finished = false;
  private readonly responseId = newResponseId();
  private readonly calls = new Map<number, ToolCallState>();
  private finishReason: unknown;
  private usage: unknown;

  constructor(private readonly answer: GeminiAnswerContext) {}

  push(chunk: JsonObject): string {
    if (this.finished || !isObject(chunk)) return '';
    if (isObject(chunk.usage)) this.usage = chunk.usage;
    const choices = Array.isArray(chunk.choices) ? chunk.choices.filter(isObject) : [];
    // One candidate is streamed: the first choice.
    const choice = choices.find((c) => c.index === undefined || c.index === 0);
    if (!choice) return '';
    const delta = isObject(choice.delta) ? choice.delta : {};
    let out = '';
    const reasoning = reasoningOf(delta);
    if (reasoning) out += this.event([{ text: reasoning, thought: true }]);
    const text = textOf(delta.content);
    if (text !== '') out += this.event([{ text }]);
    if (Array.isArray(delta.tool_calls)) delta.tool_calls.forEach((call, position) => isObject(call) && this.toolCallDelta(call, position));
    if (choice.finish_reason !== undefined && choice.finish_reason !== null) this.finishReason = choice.finish_reason;
    return out;
  }

  end(): string {
    if (this.finished) return '';
    this.finished = true;
    const parts: JsonObject[] = [];
    for (const call of this.calls.values()) {
      const part = functionCallPart(call.id, call.name, call.args);
      if (part) parts.push(part);
    }
    return this.event(parts, { finishReason: finishReasonFor(this.finishReason) }, { usageMetadata: usageMetadata(this.usage) });
  }

  fail(message: string, code: string): string {
    if (this.finished) return '';
    this.finished = true;
    return sseErrorEventIn('google', message, code, 'api_error', code.includes('timeout') ? 504 : code.includes('rate_limit') ? 429 : 502);
  }

  private toolCallDelta(call: JsonObject, position: number): void {
    const index = typeof call.index === 'number' ? call.index : position;
    const fn = isObject(call.function) ? call.function : {};
    let state = this.calls.get(index);
    if (!state) {
      state = { name: '', args: '' };
      this.calls.set(index, state);
    }
    // Ids may arrive late (after the name or the first arguments); the first one given is kept.
    if (state.id === undefined && typeof call.id === 'string' && call.id !== '') state.id = call.id;
    if (state.name === '' && typeof fn.name === 'string') state.name = fn.name;
    state.args += argumentsText(fn.arguments);
    if (state.args.length > MAX_TOOL_ARGUMENTS) throw new Error(`a tool call's arguments grew past ${MAX_TOOL_ARGUMENTS} characters`);
  }

  private event(parts: JsonObject[], candidate: JsonObject = {}, extra: JsonObject = {}): string {
    const response = {
      candidates: [{ content: { role: 'model', parts }, ...candidate, index: 0 }],
      ...extra,
      modelVersion: this.answer.model,
      responseId: this.responseId,
    };
    return `data: ${JSON.stringify(response)}\n\n`;
  }
}
