import { badRequest } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { isObject } from '../common/json';
import { chatToolChoice, chatTools, toolReferenceText, type ToolCatalog } from './messages-tools';

// Anthropic Messages request -> Chat Completions request, for backends that speak only chat. Pure: the
// body is read, never changed. Only fields with a chat meaning are carried over; Anthropic-only ones
// (cache_control, top_k, service_tier, container, mcp_servers, context_management, thinking…) are left
// out, as a chat backend would reject them. What a chat backend cannot run at all (Anthropic server tools
// such as web_search, blocks they produce in the history) is left out too, so a Claude Code session keeps
// working. Reasoning effort is added by the bridge, for backends whose config says they take it.

/** Anthropic `thinking.budget_tokens` -> chat `reasoning_effort`: under 4096 low, under 16384 medium, else high. */
export function reasoningEffortFor(budgetTokens: number): 'low' | 'medium' | 'high' {
  if (budgetTokens < 4096) return 'low';
  if (budgetTokens < 16384) return 'medium';
  return 'high';
}

/**
 * The effort asked for: `output_config.effort` as it is (its xhigh and max as high, the most chat knows),
 * else from the thinking budget. Adaptive thinking alone leaves the model its default.
 */
export function reasoningEffortOf(body: JsonObject): 'low' | 'medium' | 'high' | undefined {
  const effort = isObject(body.output_config) ? body.output_config.effort : undefined;
  if (effort === 'low' || effort === 'medium' || effort === 'high') return effort;
  if (effort === 'xhigh' || effort === 'max') return 'high';
  if (isObject(body.thinking) && body.thinking.type === 'enabled' && typeof body.thinking.budget_tokens === 'number') {
    return reasoningEffortFor(body.thinking.budget_tokens);
  }
  return undefined;
}

export function messagesToChat(body: JsonObject): JsonObject {
  return withinDepth(() => convert(body));
}

/** JSON.parse accepts nesting that JSON.stringify cannot walk back (call stack exceeded): that is the caller's 400. */
export function withinDepth<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof RangeError) throw badRequest('The request body is nested too deeply.', 'invalid_body');
    throw error;
  }
}

function convert(body: JsonObject): JsonObject {
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) {
    throw badRequest('max_tokens: a positive integer is required.', 'invalid_request', 'max_tokens');
  }
  const catalog: ToolCatalog = { declared: declaredTools(body.tools), referenced: new Set() };
  const { messages, systemTexts } = chatMessages(body.messages, catalog);
  const out: JsonObject = { model: body.model, messages: [...systemMessages(body.system, systemTexts), ...messages], max_tokens: body.max_tokens };
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s) => typeof s === 'string')) {
      throw badRequest('stop_sequences: must be an array of strings.', 'invalid_request', 'stop_sequences');
    }
    if (body.stop_sequences.length > 0) out.stop = body.stop_sequences;
  }
  for (const key of ['temperature', 'top_p'] as const) {
    if (body[key] === undefined) continue;
    if (typeof body[key] !== 'number') throw badRequest(`${key}: must be a number.`, 'invalid_request', key);
    out[key] = body[key];
  }
  const tools = chatTools(body.tools, catalog.referenced);
  if (tools.length > 0) {
    out.tools = tools;
    Object.assign(out, chatToolChoice(body.tool_choice));
  }
  const format = isObject(body.output_config) ? body.output_config.format : undefined;
  if (isObject(format) && format.type === 'json_schema' && isObject(format.schema)) {
    out.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
  }
  const userId = isObject(body.metadata) ? body.metadata.user_id : undefined;
  if (typeof userId === 'string' && PLAIN_USER_ID.test(userId)) out.user = userId;
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return out;
}

/**
 * Metadata's user_id goes on as chat `user` only when it is a plain identifier (as OpenAI's `user` is, at
 * most 64 characters). Claude Code sends a JSON string of device and session ids: that stays here.
 */
const PLAIN_USER_ID = /^[\w.@:+-]{1,64}$/;

/**
 * One leading system message: the `system` field, then the system turns found inside `messages`. Claude
 * Code puts one there (its environment) for models it does not know; most chat templates refuse a system
 * message anywhere but first, so its text joins the first.
 */
function systemMessages(system: unknown, midConversation: string[]): JsonObject[] {
  const texts = system === undefined || system === null ? [] : systemTexts(system, 'system');
  const content = [...texts, ...midConversation].filter((t) => t !== '').join('\n\n');
  return content === '' ? [] : [{ role: 'system', content }];
}

/** A system prompt as a string or text blocks (Claude Code sends several, for cache_control) -> its texts. */
function systemTexts(system: unknown, path: string): string[] {
  if (typeof system === 'string') return [system];
  if (!Array.isArray(system)) throw badRequest(`${path}: must be a string or an array of text blocks.`, 'invalid_request', path.split('.')[0]);
  return system.map((block, i) => {
    if (!isObject(block) || block.type !== 'text' || typeof block.text !== 'string') {
      throw badRequest(`${path}.${i}: only text blocks are allowed in a system prompt.`, 'invalid_request', path.split('.')[0]);
    }
    return block.text;
  });
}

function chatMessages(messages: unknown, catalog: ToolCatalog): { messages: JsonObject[]; systemTexts: string[] } {
  if (!Array.isArray(messages)) throw badRequest('messages: an array of messages is required.', 'invalid_request', 'messages');
  const out: JsonObject[] = [];
  const system: string[] = [];
  messages.forEach((message, i) => {
    if (!isObject(message)) throw badRequest(`messages.${i}: must be an object.`, 'invalid_request', 'messages');
    if (message.role === 'system') {
      system.push(...systemTexts(message.content, `messages.${i}.content`));
      return;
    }
    const blocks = contentBlocks(message.content, `messages.${i}.content`);
    if (message.role === 'user') out.push(...userMessages(blocks, `messages.${i}.content`, catalog));
    else if (message.role === 'assistant') out.push(...assistantMessages(blocks, `messages.${i}.content`));
    else throw badRequest(`messages.${i}.role: must be "user", "assistant" or "system".`, 'invalid_request', 'messages');
  });
  return { messages: out, systemTexts: system };
}

/** The client's tools by name, for tool_reference blocks to describe. */
function declaredTools(tools: unknown): ReadonlyMap<string, JsonObject> {
  const map = new Map<string, JsonObject>();
  if (Array.isArray(tools)) for (const tool of tools) if (isObject(tool) && typeof tool.name === 'string') map.set(tool.name, tool);
  return map;
}

function contentBlocks(content: unknown, path: string): JsonObject[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw badRequest(`${path}: must be a string or an array of content blocks.`, 'invalid_request', 'messages');
  return content.map((block, j) => {
    if (!isObject(block) || typeof block.type !== 'string') {
      throw badRequest(`${path}.${j}: a content block must be an object with a "type".`, 'invalid_request', 'messages');
    }
    return block;
  });
}

/** Tool results first (chat wants them right after the assistant's calls), then the rest of the turn. */
function userMessages(blocks: JsonObject[], path: string, catalog: ToolCatalog): JsonObject[] {
  const toolMessages: JsonObject[] = [];
  const parts: JsonObject[] = [];
  blocks.forEach((block, j) => {
    if (block.type === 'tool_result') {
      if (typeof block.tool_use_id !== 'string') throw badRequest(`${path}.${j}.tool_use_id: a string is required.`, 'invalid_request', 'messages');
      const result = toolResultContent(block.content, `${path}.${j}.content`, catalog);
      toolMessages.push({ role: 'tool', tool_call_id: block.tool_use_id, content: block.is_error === true ? `Error: ${result.text}` : result.text });
      // A chat tool message holds text only: images a tool returned (a screenshot, a read image) follow as user content.
      parts.push(...result.images);
      return;
    }
    const part = userPart(block, `${path}.${j}`);
    if (part) parts.push(part);
  });
  const out = toolMessages;
  if (parts.length > 0) {
    const textOnly = parts.every((p) => p.type === 'text');
    out.push({ role: 'user', content: textOnly ? parts.map((p) => p.text).join('\n\n') : parts });
  }
  return out;
}

function userPart(block: JsonObject, path: string): JsonObject | undefined {
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') throw badRequest(`${path}.text: a string is required.`, 'invalid_request', 'messages');
      return { type: 'text', text: block.text };
    case 'image':
      return imagePart(block, path);
    case 'document':
      return documentPart(block, path);
    default:
      // thinking, server tool blocks and other kinds a chat backend has no place for.
      return undefined;
  }
}

function imagePart(block: JsonObject, path: string): JsonObject {
  const source = block.source;
  if (isObject(source) && source.type === 'base64' && typeof source.media_type === 'string' && typeof source.data === 'string') {
    return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (isObject(source) && source.type === 'url' && typeof source.url === 'string') {
    return { type: 'image_url', image_url: { url: source.url } };
  }
  throw badRequest(`${path}.source: an image needs a base64 source (media_type, data) or a url source.`, 'invalid_request', 'messages');
}

function documentPart(block: JsonObject, path: string): JsonObject {
  const source = block.source;
  if (isObject(source) && source.type === 'text' && typeof source.data === 'string') return { type: 'text', text: source.data };
  if (isObject(source) && source.type === 'base64' && typeof source.media_type === 'string' && typeof source.data === 'string') {
    const filename = typeof block.title === 'string' ? block.title : 'document';
    return { type: 'file', file: { filename, file_data: `data:${source.media_type};base64,${source.data}` } };
  }
  throw badRequest(`${path}.source: a document needs a text or base64 source.`, 'invalid_request', 'messages');
}

function toolResultContent(content: unknown, path: string, catalog: ToolCatalog): { text: string; images: JsonObject[] } {
  if (content === undefined || content === null) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  const texts: string[] = [];
  const images: JsonObject[] = [];
  contentBlocks(content, path).forEach((block, j) => {
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    else if (block.type === 'image') images.push(imagePart(block, `${path}.${j}`));
    else if (block.type === 'tool_reference') texts.push(toolReferenceText(block, catalog));
  });
  return { text: texts.join('\n'), images };
}

function assistantMessages(blocks: JsonObject[], path: string): JsonObject[] {
  const texts: string[] = [];
  const toolCalls: JsonObject[] = [];
  blocks.forEach((block, j) => {
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    else if (block.type === 'tool_use') {
      if (typeof block.id !== 'string' || typeof block.name !== 'string') {
        throw badRequest(`${path}.${j}: a tool_use block needs a string id and name.`, 'invalid_request', 'messages');
      }
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    }
    // thinking and redacted_thinking carry Anthropic signatures no other model can use: dropped.
  });
  const text = texts.join('');
  if (toolCalls.length === 0) return text === '' ? [] : [{ role: 'assistant', content: text }];
  return [{ role: 'assistant', content: text === '' ? null : text, tool_calls: toolCalls }];
}
