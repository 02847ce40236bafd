import { badRequest } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { toChatCompletions } from '../transform/chat-compat';
import { isObject } from '../common/json';
import { chatToolsOf, plainInputItems } from './client-tools';

// The Responses body a chat-only backend is asked to answer: first a check that everything the
// client asked for can be honoured (what cannot is a 400 naming the field), then the chat body, built from the fields Chat Completions knows (messages by
// the shared converter of chat-compat.ts, tools flattened by client-tools.ts). Whatever else a client
// sends (Codex: client_metadata, prompt_cache_key, include, store, text.verbosity) has no chat meaning
// and never reaches the backend.

/** Server-side search tools left out for a chat backend unless tool_choice insists on one. */
const WEB_SEARCH_TOOLS = new Set(['web_search', 'web_search_preview', 'web_search_2025_08_26', 'web_search_preview_2025_03_11']);

/** Input item kinds a chat backend can be given; item_reference is resolved from the store first. */
const CONVERTIBLE_ITEMS = new Set([
  'message',
  'function_call',
  'function_call_output',
  'custom_tool_call',
  'custom_tool_call_output',
  'reasoning',
  'item_reference',
  'tool_search_call',
  'tool_search_output',
]);

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
      if (type === 'namespace') return assertNamespace(tool as JsonObject, i, refuse);
      // A tool search the client runs itself is a function like any other; OpenAI's own (server) is not.
      if (type === 'tool_search' && (tool as JsonObject).execution === 'client') return;
      if (type === 'tool_search') throw refuse(`tools[${i}].execution`, 'The built-in tool "tool_search" run by the server (execution other than "client")');
      // Web search is an offer the model may take or not (Codex CLI adds it by default, as Claude Code
      // adds WebSearch on the Messages door): a chat backend is not offered it, the rest of the turn works.
      if (WEB_SEARCH_TOOLS.has(type as string)) return;
      throw refuse(`tools[${i}].type`, `The built-in tool "${String(type)}"`);
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
      if ((type === 'tool_search_call' || type === 'tool_search_output') && item.execution !== undefined && item.execution !== 'client') {
        throw refuse(`input[${i}].execution`, `A server-run "${type}" item`);
      }
    });
  }
}

/** A namespace groups function tools; anything else inside one is refused by its place. */
function assertNamespace(tool: JsonObject, i: number, refuse: (param: string, what: string) => Error): void {
  if (typeof tool.name !== 'string' || tool.name === '') throw badRequest(`tools[${i}].name: a namespace tool needs a name.`, 'invalid_request', `tools[${i}].name`);
  if (!Array.isArray(tool.tools)) throw badRequest(`tools[${i}].tools: a namespace tool needs an array of tools.`, 'invalid_request', `tools[${i}].tools`);
  tool.tools.forEach((inner, j) => {
    const type = isObject(inner) ? inner.type : undefined;
    if (type !== 'function') throw refuse(`tools[${i}].tools[${j}].type`, `The tool type "${String(type)}" inside namespace "${tool.name as string}"`);
    if (typeof (inner as JsonObject).name !== 'string') throw badRequest(`tools[${i}].tools[${j}].name: a string is required.`, 'invalid_request', `tools[${i}].tools[${j}].name`);
  });
}

/**
 * A bridgeable Responses body (item references already resolved) -> the Chat Completions body: only
 * what chat knows. `reasoningEffort`: the backend takes `reasoning_effort` (its config says so).
 */
export function responsesBodyToChat(body: JsonObject, reasoningEffort: boolean): JsonObject {
  const input = Array.isArray(body.input) ? plainInputItems(body.input) : body.input;
  const converted = toChatCompletions({ input, instructions: body.instructions, text: body.text, tool_choice: body.tool_choice });
  const out: JsonObject = { model: body.model, messages: (converted.messages as JsonObject[]).map(flattenTextContent) };
  const tools = chatToolsOf(body);
  // Chat backends reject tool settings without tools.
  if (tools.length > 0) {
    out.tools = tools;
    if (converted.tool_choice !== undefined) out.tool_choice = converted.tool_choice;
    if (typeof body.parallel_tool_calls === 'boolean') out.parallel_tool_calls = body.parallel_tool_calls;
  }
  if (converted.response_format !== undefined) out.response_format = converted.response_format;
  if (typeof body.max_output_tokens === 'number') out.max_tokens = body.max_output_tokens;
  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  if (reasoningEffort && isObject(body.reasoning) && typeof body.reasoning.effort === 'string') out.reasoning_effort = body.reasoning.effort;
  if (typeof body.user === 'string' && body.user !== '') out.user = body.user;
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return out;
}

/** Text-only content arrays become one string: several backends take arrays only in user messages. */
function flattenTextContent(message: JsonObject): JsonObject {
  const content = message.content;
  if (!Array.isArray(content) || !content.every((p) => isObject(p) && p.type === 'text' && typeof p.text === 'string')) return message;
  return { ...message, content: content.map((p) => (p as JsonObject).text).join('\n') };
}
