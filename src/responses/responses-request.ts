import { badRequest } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { toChatCompletions } from '../transform/chat-compat';
import { isObject } from '../common/json';

// The Responses body a chat-only backend is asked to answer: first a check that everything the
// client asked for can be honoured (what cannot is a 400 naming the field, never a silent drop that
// changes the answer), then the shared Responses -> Chat converter of chat-compat.ts plus the few
// things only the bridge needs (usage in streams, text-only content as strings).

/** Input item kinds a chat backend can be given; item_reference is resolved from the store first. */
const CONVERTIBLE_ITEMS = new Set([
  'message',
  'function_call',
  'function_call_output',
  'custom_tool_call',
  'custom_tool_call_output',
  'reasoning',
  'item_reference',
]);

/** Responses parameters that only annotate the response or tune OpenAI's own service: not sent on. */
const NOT_FORWARDED = ['metadata', 'prompt_cache_key', 'safety_identifier', 'service_tier', 'stream_options', 'truncation'];

/** Throws a 400 invalid_request_error for the first thing in `body` the bridge cannot honour. */
export function assertBridgeable(body: JsonObject, model: string): void {
  const refuse = (param: string, what: string) =>
    badRequest(`${what} is not supported for model "${model}": its backend serves only Chat Completions, to which the router bridges Responses requests.`, 'unsupported_parameter', param);
  if (body.input === undefined || (typeof body.input !== 'string' && !Array.isArray(body.input))) {
    throw badRequest('The "input" parameter must be a string or an array of input items.', 'invalid_input', 'input');
  }
  if (body.conversation !== undefined && body.conversation !== null) throw refuse('conversation', 'The "conversation" parameter (server-side conversations)');
  if (body.background === true) throw refuse('background', 'Background mode ("background": true)');
  if (body.prompt !== undefined && body.prompt !== null) throw refuse('prompt', 'A stored prompt template ("prompt")');
  if (typeof body.top_logprobs === 'number' && body.top_logprobs > 0) throw refuse('top_logprobs', '"top_logprobs"');
  if (Array.isArray(body.tools)) {
    body.tools.forEach((tool, i) => {
      const type = isObject(tool) ? tool.type : undefined;
      if (type === 'function' || type === 'custom') return;
      const hint = type === 'web_search' ? ' (Codex CLI adds it unless web_search = "disabled" is set in config.toml)' : '';
      throw refuse(`tools[${i}].type`, `The built-in tool "${String(type)}"${hint}`);
    });
  }
  if (isObject(body.tool_choice) && body.tool_choice.type !== 'function' && body.tool_choice.type !== 'custom') {
    throw refuse('tool_choice.type', `The tool_choice "${String(body.tool_choice.type)}"`);
  }
  const format = isObject(body.text) ? body.text.format : undefined;
  if (isObject(format) && !['text', 'json_schema', 'json_object'].includes(format.type as string)) {
    throw refuse('text.format.type', `The text format "${String(format.type)}"`);
  }
  if (Array.isArray(body.input)) {
    body.input.forEach((item, i) => {
      if (!isObject(item)) throw badRequest(`input[${i}] must be an object.`, 'invalid_input', `input[${i}]`);
      const type = item.type ?? (typeof item.role === 'string' ? 'message' : undefined);
      if (!CONVERTIBLE_ITEMS.has(type as string)) throw refuse(`input[${i}].type`, `The input item type "${String(type)}"`);
    });
  }
}

/** Names of the tools the client declared as custom: their calls are answered as custom_tool_call. */
export function customToolNames(body: JsonObject): Set<string> {
  const names = new Set<string>();
  if (!Array.isArray(body.tools)) return names;
  for (const tool of body.tools) if (isObject(tool) && tool.type === 'custom' && typeof tool.name === 'string') names.add(tool.name);
  return names;
}

/** A bridgeable Responses body (item references already resolved) -> the Chat Completions body. */
export function responsesBodyToChat(body: JsonObject): JsonObject {
  // `messages` unset, so the body always counts as Responses-shaped.
  const out = toChatCompletions({ ...body, messages: undefined });
  for (const key of NOT_FORWARDED) delete out[key];
  if (!Array.isArray(out.tools) || out.tools.length === 0) {
    // Chat backends reject tool settings without tools.
    delete out.tools;
    delete out.tool_choice;
    delete out.parallel_tool_calls;
  }
  if (out.stream === true) out.stream_options = { include_usage: true };
  else delete out.stream;
  out.messages = (out.messages as JsonObject[]).map(flattenTextContent);
  return out;
}

/** Text-only content arrays become one string: several backends take arrays only in user messages. */
function flattenTextContent(message: JsonObject): JsonObject {
  const content = message.content;
  if (!Array.isArray(content) || !content.every((p) => isObject(p) && p.type === 'text' && typeof p.text === 'string')) return message;
  return { ...message, content: content.map((p) => (p as JsonObject).text).join('\n') };
}
