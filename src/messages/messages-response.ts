import { randomBytes } from 'node:crypto';
import type { JsonObject } from '../common/proxy-context';
import { isObject, textOf } from '../common/json';

// Chat Completions answer -> Anthropic Messages answer: the pieces shared by the JSON converter below
// and the stream translator (ids, stop reasons, usage, tool input).

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

/** What the converters need to know about the request they answer. */
export interface MessagesAnswerContext {
  /** The model as the client named it (an alias stays an alias). */
  model: string;
  stopSequences: readonly string[];
}

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export const newMessageId = () => `msg_${randomBytes(12).toString('hex')}`;
export const newToolUseId = () => `toolu_${randomBytes(12).toString('hex')}`;

/**
 * The chat finish reason as an Anthropic stop reason. Chat does not say which stop sequence matched;
 * vLLM does (`stop_reason`), and then it is reported as Anthropic does.
 */
export function stopReasonFor(
  finishReason: unknown,
  hasToolCalls: boolean,
  matchedStop: unknown,
  stopSequences: readonly string[],
): { stop_reason: StopReason; stop_sequence: string | null } {
  if (typeof matchedStop === 'string' && stopSequences.includes(matchedStop)) return { stop_reason: 'stop_sequence', stop_sequence: matchedStop };
  // Some backends (older Ollama) say "stop" after a tool call: the client must still run the tool.
  if (hasToolCalls || finishReason === 'tool_calls' || finishReason === 'function_call') return { stop_reason: 'tool_use', stop_sequence: null };
  if (finishReason === 'length') return { stop_reason: 'max_tokens', stop_sequence: null };
  if (finishReason === 'content_filter') return { stop_reason: 'refusal', stop_sequence: null };
  return { stop_reason: 'end_turn', stop_sequence: null };
}

/** Chat usage as Anthropic usage: cached prompt tokens are reported apart from the other input tokens. */
export function anthropicUsage(usage: unknown): AnthropicUsage {
  const u = isObject(usage) ? usage : {};
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0);
  const prompt = count(u.prompt_tokens);
  const details = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const cached = Math.min(prompt, count(details.cached_tokens) || count(u.prompt_cache_hit_tokens));
  return { input_tokens: prompt - cached, output_tokens: count(u.completion_tokens), cache_creation_input_tokens: 0, cache_read_input_tokens: cached };
}

/** Tool arguments as the object Anthropic clients expect; anything that is not a JSON object becomes {}. */
export function toolInput(args: unknown): JsonObject {
  if (isObject(args)) return args;
  if (typeof args !== 'string' || args.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(args);
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** The reasoning text a backend sent: `reasoning_content` (DeepSeek, vLLM) or `reasoning` (Ollama, Groq, OpenRouter). */
export function reasoningOf(messageOrDelta: JsonObject): string | undefined {
  const r = messageOrDelta.reasoning_content ?? messageOrDelta.reasoning;
  return typeof r === 'string' && r !== '' ? r : undefined;
}

/** A non-streamed chat.completion as an Anthropic Message. */
export function chatToMessage(chat: unknown, answer: MessagesAnswerContext): JsonObject {
  const completion = isObject(chat) ? chat : {};
  const choice = Array.isArray(completion.choices) && isObject(completion.choices[0]) ? completion.choices[0] : {};
  const message = isObject(choice.message) ? choice.message : {};
  const content: JsonObject[] = [];
  const reasoning = reasoningOf(message);
  if (reasoning) content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  const text = textOf(message.content);
  if (text !== '') content.push({ type: 'text', text, citations: null });
  const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls.filter(isObject) : [];
  for (const call of toolCalls) {
    const fn = isObject(call.function) ? call.function : {};
    if (typeof fn.name !== 'string' || fn.name === '') continue;
    content.push({ type: 'tool_use', id: typeof call.id === 'string' && call.id !== '' ? call.id : newToolUseId(), name: fn.name, input: toolInput(fn.arguments) });
  }
  const hasToolUse = content.some((b) => b.type === 'tool_use');
  return {
    id: newMessageId(),
    type: 'message',
    role: 'assistant',
    model: answer.model,
    content,
    ...stopReasonFor(choice.finish_reason, hasToolUse, choice.stop_reason, answer.stopSequences),
    usage: anthropicUsage(completion.usage),
  };
}
