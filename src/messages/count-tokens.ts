import type { JsonObject } from '../common/proxy-context';
import { isObject } from '../common/json';
import { messagesToChat, withinDepth } from './messages-request';

// POST /v1/messages/count_tokens, answered locally: the request goes through the same conversion as a
// real one (so it is checked the same way), then its text is counted with OpenAI's o200k_base
// tokenizer. An estimate: Anthropic's own tokenizer is not public, and local models each have theirs.

/** Per message: role and separators, as chat templates add them. */
const MESSAGE_OVERHEAD = 4;
/** Anthropic bills an image at about (width × height) / 750 tokens, at most about 1,600; we do not decode it. */
const IMAGE_TOKENS = 1600;
// The tokenizer's tables take about 40 MB once loaded: loaded on the first count, not at start-up.
let tokenizer: typeof import('gpt-tokenizer') | undefined;
// Text that happens to contain "<|endoftext|>" is counted as text, not refused.
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

export function countInputTokens(body: JsonObject): number {
  return withinDepth(() => count(body));
}

function count(body: JsonObject): number {
  return countChatTokens(messagesToChat({ ...body, max_tokens: 1, stream: false }));
}

/** The same estimate for a Chat Completions body (the Gemini door's countTokens converts to one first). */
export function countChatTokens(chat: JsonObject): number {
  let tokens = 0;
  for (const message of chat.messages as JsonObject[]) {
    tokens += MESSAGE_OVERHEAD + countContent(message.content);
    if (Array.isArray(message.tool_calls)) tokens += countText(JSON.stringify(message.tool_calls.map((c: JsonObject) => c.function)));
  }
  if (Array.isArray(chat.tools)) tokens += countText(JSON.stringify(chat.tools.map((t: JsonObject) => t.function)));
  return tokens;
}

function countContent(content: unknown): number {
  if (typeof content === 'string') return countText(content);
  if (!Array.isArray(content)) return 0;
  let tokens = 0;
  for (const part of content) {
    if (!isObject(part)) continue;
    tokens += part.type === 'text' && typeof part.text === 'string' ? countText(part.text) : IMAGE_TOKENS;
  }
  return tokens;
}

function countText(text: string): number {
  return text === '' ? 0 : (tokenizer ??= require('gpt-tokenizer') as typeof import('gpt-tokenizer')).countTokens(text, AS_PLAIN_TEXT);
}
