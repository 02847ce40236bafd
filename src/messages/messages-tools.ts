import { badRequest } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { isObject } from '../common/json';

// Anthropic tools -> chat tools. Claude Code declares some tools with `defer_loading: true` and loads
// them with its client-side ToolSearch, whose result holds `tool_reference` blocks naming them: a chat
// backend gets a deferred tool once a reference to it is in the conversation, and each reference as the
// tool's definition in text, the form ToolSearch's own description promises the model.

/** What the conversion of one request learns about its tools. */
export interface ToolCatalog {
  /** The request's tools by name. */
  declared: ReadonlyMap<string, JsonObject>;
  /** Tools named by tool_reference blocks so far. */
  referenced: Set<string>;
}

/**
 * A tool_reference block -> text a chat model reads: the tool's definition the first time the conversation
 * names it (so many references to one large tool cannot multiply its schema), later only its name.
 */
export function toolReferenceText(block: JsonObject, catalog: ToolCatalog): string {
  const name = typeof block.tool_name === 'string' ? block.tool_name : '';
  if (name === '') return '';
  const tool = catalog.declared.get(name);
  if (!tool) return `Tool loaded: ${name}`;
  if (catalog.referenced.has(name)) return `Tool loaded: ${name} (defined above)`;
  catalog.referenced.add(name);
  const definition: JsonObject = { description: typeof tool.description === 'string' ? tool.description : '', name, parameters: tool.input_schema ?? {} };
  return `<function>${JSON.stringify(definition)}</function>`;
}

/** `referenced`: deferred tools loaded in the conversation; the other deferred tools stay back. */
export function chatTools(tools: unknown, referenced: ReadonlySet<string>): JsonObject[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw badRequest('tools: must be an array.', 'invalid_request', 'tools');
  const out: JsonObject[] = [];
  tools.forEach((tool, i) => {
    if (!isObject(tool) || typeof tool.name !== 'string') throw badRequest(`tools.${i}: a tool needs a name.`, 'invalid_request', 'tools');
    // Anthropic-defined tools (web_search_…, bash_…) have a versioned type and no schema: no chat backend runs them.
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') return;
    if (tool.defer_loading === true && !referenced.has(tool.name)) return;
    if (!isObject(tool.input_schema)) throw badRequest(`tools.${i}.input_schema: an object is required.`, 'invalid_request', 'tools');
    const fn: JsonObject = { name: tool.name, parameters: tool.input_schema };
    if (typeof tool.description === 'string') fn.description = tool.description;
    out.push({ type: 'function', function: fn });
  });
  return out;
}

export function chatToolChoice(choice: unknown): JsonObject {
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
