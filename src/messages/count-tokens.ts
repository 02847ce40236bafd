import type { JsonObject } from '../common/proxy-context';
import { isObject } from '../common/json';
import { messagesToChat, withinDepth } from './messages-request';

// POST /v1/messages/count_tokens, answered locally: the request goes through the same conversion as a
// real one (so it is checked the same way), then its text is counted with OpenAI's o200k_base
// tokenizer (TokenCounterService: bounded work for any size and shape, off the main thread). An
// estimate: Anthropic's own tokenizer is not public, and local models each have theirs.

/** Per message: role and separators, as chat templates add them. */
const MESSAGE_OVERHEAD = 4;
/** Anthropic bills an image at about (width × height) / 750 tokens, at most about 1,600; we do not decode it. */
const IMAGE_TOKENS = 1600;

/** A Messages request's input: the texts to count, and the tokens it stands for without them. */
export interface MessagesInput {
  texts: string[];
  tokens: number;
}

export function messagesInput(body: JsonObject): MessagesInput {
  return withinDepth(() => chatInput(messagesToChat({ ...body, max_tokens: 1, stream: false })));
}

/** The same for a Chat Completions body (the Gemini door's countTokens converts to one first). */
export function chatInput(chat: JsonObject): MessagesInput {
  // The texts are gathered first and counted together, so the work is bounded for the request as a whole.
  const texts: string[] = [];
  let tokens = 0;
  for (const message of chat.messages as JsonObject[]) {
    tokens += MESSAGE_OVERHEAD + gatherContent(message.content, texts);
    if (Array.isArray(message.tool_calls)) texts.push(JSON.stringify(message.tool_calls.map((c: JsonObject) => c.function)));
  }
  if (Array.isArray(chat.tools)) texts.push(JSON.stringify(chat.tools.map((t: JsonObject) => t.function)));
  return { texts: texts.filter((text) => text !== ''), tokens };
}

/** Adds the content's texts to `texts`; returns the tokens it stands for without text (images). */
function gatherContent(content: unknown, texts: string[]): number {
  if (typeof content === 'string') {
    texts.push(content);
    return 0;
  }
  if (!Array.isArray(content)) return 0;
  let tokens = 0;
  for (const part of content) {
    if (!isObject(part)) continue;
    if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else tokens += IMAGE_TOKENS;
  }
  return tokens;
}
