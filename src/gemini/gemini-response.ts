import { randomBytes } from 'node:crypto';
import type { JsonObject } from '../common/proxy-context';
import { reasoningOf, toolInput } from '../messages/messages-response';
import { isObject, textOf } from '../common/json';

// Chat Completions answer -> Gemini GenerateContentResponse: the pieces shared by the JSON converter below
// and the stream translator (finish reasons, usage, function calls).

/** What the converters need to know about the request they answer. */
export interface GeminiAnswerContext {
  /** The model as the client named it (an alias stays an alias): the answer's modelVersion. */
  model: string;
}

export const newResponseId = () => randomBytes(12).toString('base64url');
const newCallId = () => `call_${randomBytes(12).toString('hex')}`;

/** Chat finish_reason -> Gemini finishReason; a tool call ends with STOP, as Gemini's do. */
export function finishReasonFor(reason: unknown): string {
  switch (reason) {
    case 'length': return 'MAX_TOKENS';
    case 'content_filter': return 'SAFETY';
    case 'stop':
    case 'tool_calls':
    case 'function_call':
    case null:
    case undefined: return 'STOP';
    default: return 'OTHER';
  }
}

/** Chat usage -> usageMetadata; reasoning tokens are part of chat's completion tokens, apart in Gemini's. */
export function usageMetadata(usage: unknown): JsonObject {
  const u = isObject(usage) ? usage : {};
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0);
  const prompt = count(u.prompt_tokens);
  const completion = count(u.completion_tokens);
  const details = isObject(u.completion_tokens_details) ? u.completion_tokens_details : {};
  const thoughts = Math.min(completion, count(details.reasoning_tokens));
  const out: JsonObject = {
    promptTokenCount: prompt,
    candidatesTokenCount: completion - thoughts,
    totalTokenCount: count(u.total_tokens) || prompt + completion,
  };
  if (thoughts > 0) out.thoughtsTokenCount = thoughts;
  return out;
}

/** A chat tool call as a whole Gemini functionCall part; undefined when it has no name. */
export function functionCallPart(id: unknown, name: unknown, args: unknown): JsonObject | undefined {
  if (typeof name !== 'string' || name === '') return undefined;
  return { functionCall: { id: typeof id === 'string' && id !== '' ? id : newCallId(), name, args: toolInput(args) } };
}

/** The parts of one chat message (or whole delta): reasoning as thought parts, text, then function calls. */
function partsOf(message: JsonObject): JsonObject[] {
  const parts: JsonObject[] = [];
  const reasoning = reasoningOf(message);
  if (reasoning) parts.push({ text: reasoning, thought: true });
  const text = textOf(message.content);
  if (text !== '') parts.push({ text });
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls.filter(isObject) : [];
  for (const call of calls) {
    const fn = isObject(call.function) ? call.function : {};
    const part = functionCallPart(call.id, fn.name, fn.arguments);
    if (part) parts.push(part);
  }
  return parts;
}

/** A non-streamed chat.completion as a GenerateContentResponse. */
export function chatToGemini(chat: unknown, answer: GeminiAnswerContext): JsonObject {
  const completion = isObject(chat) ? chat : {};
  const choices = Array.isArray(completion.choices) ? completion.choices.filter(isObject) : [];
  const candidates = choices.map((choice, i) => ({
    content: { role: 'model', parts: partsOf(isObject(choice.message) ? choice.message : {}) },
    finishReason: finishReasonFor(choice.finish_reason),
    index: typeof choice.index === 'number' ? choice.index : i,
  }));
  return {
    candidates,
    usageMetadata: usageMetadata(completion.usage),
    modelVersion: answer.model,
    responseId: typeof completion.id === 'string' && completion.id !== '' ? completion.id : newResponseId(),
  };
}
