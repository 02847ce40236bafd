import { badRequest } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { isObject } from '../common/json';

// Anthropic Messages request -> Chat Completions request, for backends that speak only chat. Pure: the
// body is read, never changed. Only fields with a chat meaning are carried over; Anthropic-only ones
// (cache_control, top_k, service_tier, container, mcp_servers…) are left out, as a chat backend would
// reject them. What a chat backend cannot run at all (Anthropic server tools such as web_search, blocks
// they produce in the history) is left out too, so a Claude Code session keeps working.

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
function reasoningEffortOf(body: JsonObject): 'low' | 'medium' | 'high' | undefined {
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
  const out: JsonObject = { model: body.model, messages: [...systemMessages(body.system), ...chatMessages(body.messages)], max_tokens: body.max_tokens };
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
  const tools = chatTools(body.tools);
  if (tools.length > 0) {
    out.tools = tools;
    Object.assign(out, chatToolChoice(body.tool_choice));
  }
  const effort = reasoningEffortOf(body);
  if (effort) out.reasoning_effort = effort;
  const format = isObject(body.output_config) ? body.output_config.format : undefined;
  if (isObject(format) && format.type === 'json_schema' && isObject(format.schema)) {
    out.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
  }
  if (isObject(body.metadata) && typeof body.metadata.user_id === 'string' && body.metadata.user_id !== '') {
    out.user = body.metadata.user_id;
  }
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return out;
}

function systemMessages(system: unknown): JsonObject[] {
  if (system === undefined || system === null) return [];
  if (typeof system === 'string') return system === '' ? [] : [{ role: 'system', content: system }];
  if (!Array.isArray(system)) throw badRequest('system: must be a string or an array of text blocks.', 'invalid_request', 'system');
  const texts = system.map((block, i) => {
    if (!isObject(block) || block.type !== 'text' || typeof block.text !== 'string') {
      throw badRequest(`system.${i}: only text blocks are allowed in system.`, 'invalid_request', 'system');
    }
    return block.text;
  });
  // Claude Code sends its prompt as several blocks (for cache_control); chat backends want one system text.
  const content = texts.filter((t) => t !== '').join('\n\n');
  return content === '' ? [] : [{ role: 'system', content }];
}

function chatMessages(messages: unknown): JsonObject[] {
  if (!Array.isArray(messages)) throw badRequest('messages: an array of messages is required.', 'invalid_request', 'messages');
  const out: JsonObject[] = [];
  messages.forEach((message, i) => {
    if (!isObject(message)) throw badRequest(`messages.${i}: must be an object.`, 'invalid_request', 'messages');
    const blocks = contentBlocks(message.content, `messages.${i}.content`);
    if (message.role === 'user') out.push(...userMessages(blocks, `messages.${i}.content`));
    else if (message.role === 'assistant') out.push(...assistantMessages(blocks, `messages.${i}.content`));
    else throw badRequest(`messages.${i}.role: must be "user" or "assistant".`, 'invalid_request', 'messages');
  });
  return out;
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
function userMessages(blocks: JsonObject[], path: string): JsonObject[] {
  const toolMessages: JsonObject[] = [];
  const parts: JsonObject[] = [];
  blocks.forEach((block, j) => {
    if (block.type === 'tool_result') {
      if (typeof block.tool_use_id !== 'string') throw badRequest(`${path}.${j}.tool_use_id: a string is required.`, 'invalid_request', 'messages');
      const result = toolResultContent(block.content, `${path}.${j}.content`);
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

function toolResultContent(content: unknown, path: string): { text: string; images: JsonObject[] } {
  if (content === undefined || content === null) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  const texts: string[] = [];
  const images: JsonObject[] = [];
  contentBlocks(content, path).forEach((block, j) => {
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    else if (block.type === 'image') images.push(imagePart(block, `${path}.${j}`));
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

function chatTools(tools: unknown): JsonObject[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw badRequest('tools: must be an array.', 'invalid_request', 'tools');
  const out: JsonObject[] = [];
  tools.forEach((tool, i) => {
    if (!isObject(tool) || typeof tool.name !== 'string') throw badRequest(`tools.${i}: a tool needs a name.`, 'invalid_request', 'tools');
    // Anthropic-defined tools (web_search_…, bash_…) have a versioned type and no schema: no chat backend runs them.
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') return;
    if (!isObject(tool.input_schema)) throw badRequest(`tools.${i}.input_schema: an object is required.`, 'invalid_request', 'tools');
    const fn: JsonObject = { name: tool.name, parameters: tool.input_schema };
    if (typeof tool.description === 'string') fn.description = tool.description;
    out.push({ type: 'function', function: fn });
  });
  return out;
}

function chatToolChoice(choice: unknown): JsonObject {
  if (choice === undefined || choice === null) return {};
  if (!isObject(choice)) throw badRequest('tool_choice: must be an object.', 'invalid_request', 'tool_choice');
  const out: JsonObject = {};
  switch (choice.type) {
    case 'auto':
      out.tool_choice = 'auto';
      break;
    case 'any':
      out.tool_choice = 'required';
      break;
    case 'none':
      out.tool_choice = 'none';
      break;
    case 'tool':
      if (typeof choice.name !== 'string') throw badRequest('tool_choice.name: a string is required.', 'invalid_request', 'tool_choice');
      out.tool_choice = { type: 'function', function: { name: choice.name } };
      break;
    default:
      throw badRequest('tool_choice.type: must be "auto", "any", "tool" or "none".', 'invalid_request', 'tool_choice');
  }
  if (choice.disable_parallel_tool_use === true && choice.type !== 'none') out.parallel_tool_calls = false;
  return out;
}
