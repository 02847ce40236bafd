import type { JsonObject } from '../common/proxy-context';
import { isObject } from '../common/json';

// Pure fixes that make the bodies real clients send to /chat/completions valid Chat Completions for
// backends that speak nothing else (Ollama, Groq, vLLM). Cursor sends Responses-API-shaped bodies
// (`input`, `instructions`, flat tools, custom grammar tools) to /chat/completions, and assistant
// tool-call turns with `content: []`. Like request-transforms.ts, each function copies only what it
// changes and returns its input when there is nothing to do.

/** Responses-only keys a chat backend would reject, dropped after their meaning has been carried over. */
const RESPONSES_ONLY_KEYS = [
  'input',
  'instructions',
  'text',
  'max_output_tokens',
  'store',
  'previous_response_id',
  'include',
  'reasoning',
  'truncation',
  'background',
  'conversation',
  'max_tool_calls',
] as const;

/** Everything a chat-completions body needs before it goes to a chat backend. */
export function toChatCompletions(body: JsonObject): JsonObject {
  const converted = isResponsesShaped(body) ? responsesToChat(body) : body;
  return fixAssistantEmptyContent(fixToolChoice(fixTools(converted)));
}

/** A body with `input` and no (or an empty) `messages`, as Cursor sends for newer models. */
export function isResponsesShaped(body: JsonObject): boolean {
  if (body.input === undefined) return false;
  return body.messages === undefined || (Array.isArray(body.messages) && body.messages.length === 0);
}

/** Converts a Responses-shaped body to Chat Completions; keys it does not know are kept untouched. */
export function responsesToChat(body: JsonObject): JsonObject {
  const out: JsonObject = { ...body };
  for (const key of RESPONSES_ONLY_KEYS) delete out[key];

  // concat, not push(...items): an input may hold more items than a call can take arguments.
  let messages: JsonObject[] = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') {
    messages.push({ role: 'system', content: body.instructions });
  } else if (Array.isArray(body.instructions)) {
    messages = messages.concat(inputItemsToMessages(body.instructions));
  }
  if (typeof body.input === 'string') messages.push({ role: 'user', content: body.input });
  else if (Array.isArray(body.input)) messages = messages.concat(inputItemsToMessages(body.input));
  out.messages = messages;

  const format = isObject(body.text) ? body.text.format : undefined;
  if (isObject(format) && body.response_format === undefined) {
    if (format.type === 'json_schema') {
      const { type: _type, ...jsonSchema } = format;
      out.response_format = { type: 'json_schema', json_schema: jsonSchema };
    } else if (format.type === 'json_object') {
      out.response_format = { type: 'json_object' };
    }
  }
  if (body.max_output_tokens !== undefined && body.max_tokens === undefined) out.max_tokens = body.max_output_tokens;
  if (isObject(body.reasoning) && typeof body.reasoning.effort === 'string' && body.reasoning_effort === undefined) {
    out.reasoning_effort = body.reasoning.effort;
  }
  return out;
}

/** Responses input items -> chat messages, in order. */
export function inputItemsToMessages(items: readonly unknown[]): JsonObject[] {
  const messages: JsonObject[] = [];
  // The assistant message the next function_call joins: a call right after an assistant turn (text or
  // other calls) belongs to that same turn, as one chat message with tool_calls.
  let openAssistant: JsonObject | undefined;
  for (const item of items) {
    if (!isObject(item)) continue;
    const type = item.type ?? (typeof item.role === 'string' ? 'message' : undefined);
    if (type === 'function_call' || type === 'custom_tool_call') {
      const call = toToolCall(item);
      if (!openAssistant) {
        openAssistant = { role: 'assistant', content: null };
        messages.push(openAssistant);
      }
      // Our own message object: appended to in place (copying the list per call is quadratic).
      ((openAssistant.tool_calls ??= []) as unknown[]).push(call);
      continue;
    }
    openAssistant = undefined;
    if (type === 'message') {
      const message: JsonObject = { role: item.role, content: convertContent(item.content) };
      if (typeof item.name === 'string') message.name = item.name;
      messages.push(message);
      if (item.role === 'assistant') openAssistant = message;
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: toolOutput(item.output) });
    } else if (type === 'reasoning') {
      // Chat backends have no place for replayed reasoning items (often encrypted): dropped.
    } else {
      // Unknown item kinds are passed on as they are, so the backend names what it cannot take.
      messages.push(item);
    }
  }
  return messages;
}

function toToolCall(item: JsonObject): JsonObject {
  const args =
    item.type === 'custom_tool_call'
      ? JSON.stringify({ input: typeof item.input === 'string' ? item.input : '' })
      : typeof item.arguments === 'string'
        ? item.arguments
        : JSON.stringify(item.arguments ?? {});
  return { id: item.call_id ?? item.id, type: 'function', function: { name: item.name, arguments: args } };
}

/** Responses content (string or typed parts) -> chat content; text-only arrays stay arrays. */
function convertContent(content: unknown): unknown {
  if (!Array.isArray(content)) return content;
  return content.map((part) => {
    if (!isObject(part)) return part;
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        return { type: 'text', text: part.text };
      case 'input_image': {
        const imageUrl: JsonObject = { url: part.image_url ?? part.file_id };
        if (part.detail !== undefined) imageUrl.detail = part.detail;
        return { type: 'image_url', image_url: imageUrl };
      }
      case 'input_file': {
        const { type: _type, ...file } = part;
        return { type: 'file', file };
      }
      default:
        return part;
    }
  });
}

function toolOutput(output: unknown): unknown {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return convertContent(output);
  return JSON.stringify(output ?? '');
}

/**
 * Flat Responses tools -> nested chat tools. A custom tool (free-form text input, e.g. Cursor's
 * ApplyPatch with a Lark grammar) becomes a function taking one string, `input`, whose description
 * carries the grammar so the model still knows what to write.
 */
export function fixTools(body: JsonObject): JsonObject {
  const tools = body.tools;
  if (!Array.isArray(tools)) return body;
  let changed: unknown[] | undefined;
  for (let i = 0; i < tools.length; i++) {
    const fixed = toChatTool(tools[i]);
    if (fixed === tools[i]) continue;
    changed ??= tools.slice();
    changed[i] = fixed;
  }
  return changed ? { ...body, tools: changed } : body;
}

export function toChatTool(tool: unknown): unknown {
  if (!isObject(tool)) return tool;
  if (tool.type === 'function' && !isObject(tool.function) && typeof tool.name === 'string') {
    const { type: _type, ...fn } = tool;
    return { type: 'function', function: fn };
  }
  if (tool.type === 'custom') {
    // Flat (Responses) form, or the chat form {type:'custom', custom:{…}}.
    const spec = isObject(tool.custom) ? tool.custom : tool;
    const fn: JsonObject = { name: spec.name };
    if (spec.description !== undefined) fn.description = spec.description;
    fn.parameters = {
      type: 'object',
      properties: { input: { type: 'string', description: customInputNote(spec.format) } },
      required: ['input'],
      additionalProperties: false,
    };
    return { type: 'function', function: fn };
  }
  return tool;
}

export function customInputNote(format: unknown): string {
  if (isObject(format) && format.type === 'grammar') {
    const syntax = typeof format.syntax === 'string' ? format.syntax : 'given';
    const definition = typeof format.definition === 'string' ? format.definition : '';
    return `The raw tool input as plain text (not JSON), matching this ${syntax} grammar:\n${definition}`;
  }
  return 'The raw tool input as plain text (not JSON).';
}

/** `{type:'function', name}` (Responses form) -> `{type:'function', function:{name}}`; same for custom tools. */
export function fixToolChoice(body: JsonObject): JsonObject {
  const choice = body.tool_choice;
  if (!isObject(choice) || isObject(choice.function)) return body;
  if ((choice.type === 'function' || choice.type === 'custom') && typeof choice.name === 'string') {
    return { ...body, tool_choice: { type: 'function', function: { name: choice.name } } };
  }
  if (choice.type === 'custom' && isObject(choice.custom) && typeof choice.custom.name === 'string') {
    return { ...body, tool_choice: { type: 'function', function: { name: choice.custom.name } } };
  }
  return body;
}

/** Assistant turns with `content: []` (Cursor's tool-call turns) get `content: null`, which every backend takes. */
export function fixAssistantEmptyContent(body: JsonObject): JsonObject {
  const messages = body.messages;
  if (!Array.isArray(messages)) return body;
  let changed: unknown[] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (!isObject(message) || message.role !== 'assistant' || !Array.isArray(message.content) || message.content.length > 0) continue;
    changed ??= messages.slice();
    changed[i] = { ...message, content: null };
  }
  return changed ? { ...body, messages: changed } : body;
}
