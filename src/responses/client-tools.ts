import type { JsonObject } from '../common/proxy-context';
import { toChatTool } from '../transform/chat-compat';
import { isObject } from '../common/json';

// The tools a Responses client declares, as a chat backend sees them and as their calls come back.
// A chat backend knows only flat function tools: Codex's `namespace` tools (groups of function tools)
// become one function each, named `<namespace>__<name>`; a client-executed `tool_search` becomes a
// function `tool_search`; tools a `tool_search_output` loaded join the list. A backend's call is then
// answered in the shape the client declared: function_call with its namespace, custom_tool_call, or
// tool_search_call.

/** What a chat function name stands for on the client's side. */
export type ClientTool =
  | { kind: 'function'; name: string; namespace?: string }
  | { kind: 'custom'; name: string }
  | { kind: 'tool_search' };

/** Keyed by the name the chat backend knows. */
export type ClientTools = ReadonlyMap<string, ClientTool>;

/** Codex's own flat form of a namespaced tool name (its `canonical_flat_name`). */
export function flatToolName(namespace: string, name: string): string {
  // A loop, not /_+$/: that regex backtracks quadratically on a long run of underscores not at the end.
  let end = namespace.length;
  while (end > 0 && namespace.charCodeAt(end - 1) === 95) end--;
  let start = 0;
  while (start < name.length && name.charCodeAt(start) === 95) start++;
  return `${namespace.slice(0, end)}__${name.slice(start)}`;
}

/** The Responses tools of `body` plus those its input's tool_search_output items loaded. */
function declaredTools(body: JsonObject): unknown[] {
  const tools: unknown[] = Array.isArray(body.tools) ? [...body.tools] : [];
  if (Array.isArray(body.input)) {
    // push, not concat: many tool_search_output items must not copy the growing list each time.
    for (const item of body.input) {
      if (isObject(item) && item.type === 'tool_search_output' && Array.isArray(item.tools)) for (const t of item.tools) tools.push(t);
    }
  }
  return tools;
}

/** Every declared tool once, flattened: [chat name, client tool, the Responses function or custom tool]. */
function flattened(body: JsonObject): Array<[string, ClientTool, JsonObject]> {
  const out: Array<[string, ClientTool, JsonObject]> = [];
  for (const tool of declaredTools(body)) {
    if (!isObject(tool)) continue;
    if (tool.type === 'namespace' && typeof tool.name === 'string' && Array.isArray(tool.tools)) {
      for (const inner of tool.tools) {
        if (!isObject(inner) || typeof inner.name !== 'string') continue;
        const name = flatToolName(tool.name, inner.name);
        out.push([name, { kind: 'function', name: inner.name, namespace: tool.name }, { ...inner, name }]);
      }
    } else if (tool.type === 'tool_search') {
      out.push(['tool_search', { kind: 'tool_search' }, { ...tool, type: 'function', name: 'tool_search' }]);
    } else if ((tool.type === 'function' || tool.type === 'custom') && typeof tool.name === 'string') {
      out.push([tool.name, tool.type === 'custom' ? { kind: 'custom', name: tool.name } : { kind: 'function', name: tool.name }, tool]);
    }
  }
  return out;
}

export function clientToolsOf(body: JsonObject): ClientTools {
  const map = new Map<string, ClientTool>();
  for (const [name, tool] of flattened(body)) map.set(name, tool);
  return map;
}

/** The chat `tools` for the backend: only the fields chat knows, each name once. */
export function chatToolsOf(body: JsonObject): JsonObject[] {
  const seen = new Set<string>();
  const out: JsonObject[] = [];
  for (const [name, client, tool] of flattened(body)) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (client.kind === 'custom') {
      out.push(toChatTool(tool) as JsonObject);
      continue;
    }
    const fn: JsonObject = { name };
    if (typeof tool.description === 'string') fn.description = tool.description;
    fn.parameters = isObject(tool.parameters) ? tool.parameters : { type: 'object', properties: {} };
    if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
    out.push({ type: 'function', function: fn });
  }
  return out;
}

/**
 * Input items in the shapes the chat converter knows: a namespaced function_call by its flat name, a
 * tool_search_call as a call of the `tool_search` function, its tool_search_output as that call's result
 * (the loaded tools' definitions, which the model reads).
 */
export function plainInputItems(items: readonly unknown[]): unknown[] {
  return items.map((item) => {
    if (!isObject(item)) return item;
    if (item.type === 'function_call' && typeof item.namespace === 'string' && typeof item.name === 'string') {
      const { namespace, ...rest } = item;
      return { ...rest, name: flatToolName(namespace, item.name) };
    }
    if (item.type === 'tool_search_call') {
      const args = typeof item.arguments === 'string' ? item.arguments : JSON.stringify(item.arguments ?? {});
      return { type: 'function_call', call_id: item.call_id ?? item.id, name: 'tool_search', arguments: args };
    }
    if (item.type === 'tool_search_output') {
      const loaded = chatToolsOf({ tools: Array.isArray(item.tools) ? item.tools : [] }).map((t) => t.function);
      return { type: 'function_call_output', call_id: item.call_id, output: JSON.stringify(loaded) };
    }
    return item;
  });
}

/** A backend's call of chat function `name` -> the output item the client expects (without id and status). */
export function clientCallItem(tools: ClientTools, name: string, callId: string, args: string): JsonObject {
  const tool = tools.get(name);
  if (tool?.kind === 'custom') return { type: 'custom_tool_call', call_id: callId, name, input: customInput(args) };
  if (tool?.kind === 'tool_search') return { type: 'tool_search_call', call_id: callId, execution: 'client', arguments: parsedArguments(args) };
  if (tool?.kind === 'function' && tool.namespace !== undefined) {
    return { type: 'function_call', call_id: callId, namespace: tool.namespace, name: tool.name, arguments: args };
  }
  return { type: 'function_call', call_id: callId, name, arguments: args };
}

/**
 * Custom tools travel to chat backends as functions taking {"input": "<raw text>"}: the raw text is
 * unwrapped. Arguments that are not that shape are returned as the model wrote them.
 */
export function customInput(args: string): string {
  try {
    const parsed = JSON.parse(args) as unknown;
    if (isObject(parsed) && typeof parsed.input === 'string') return parsed.input;
  } catch {
    // not JSON: the model wrote the raw input itself
  }
  return args;
}

/** tool_search_call carries its arguments as an object. */
function parsedArguments(args: string): unknown {
  try {
    const parsed = JSON.parse(args) as unknown;
    if (isObject(parsed)) return parsed;
  } catch {
    // not JSON: handed over as the query the model wrote
  }
  return args === '' ? {} : { query: args };
}
