import { badRequest } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { isObject } from '../common/json';
import { checkedJsonSchema, geminiSchemaToJsonSchema } from './gemini-schema';

// Gemini tools and toolConfig -> chat tools and tool_choice. Only functionDeclarations have a chat
// meaning; Google's own tools (googleSearch, codeExecution, urlContext…) are left out, as a chat
// backend cannot run them.

const EMPTY_PARAMETERS = { type: 'object', properties: {} };

export function chatTools(tools: unknown, toolConfig: unknown): JsonObject[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw badRequest('tools: must be an array of Tool objects.', 'invalid_request');
  const allowed = allowedNames(toolConfig);
  const out: JsonObject[] = [];
  tools.forEach((tool, i) => {
    if (!isObject(tool)) throw badRequest(`tools.${i}: must be an object.`, 'invalid_request');
    const declarations = tool.functionDeclarations;
    if (declarations === undefined) return;
    if (!Array.isArray(declarations)) throw badRequest(`tools.${i}.functionDeclarations: must be an array.`, 'invalid_request');
    declarations.forEach((declaration, j) => {
      const fn = chatFunction(declaration, `tools.${i}.functionDeclarations.${j}`);
      if (!allowed || allowed.has(fn.name as string)) out.push({ type: 'function', function: fn });
    });
  });
  return out;
}

function chatFunction(declaration: unknown, path: string): JsonObject {
  if (!isObject(declaration) || typeof declaration.name !== 'string' || declaration.name === '') {
    throw badRequest(`${path}: a function declaration needs a string "name".`, 'invalid_request');
  }
  const fn: JsonObject = { name: declaration.name };
  if (declaration.description !== undefined) {
    if (typeof declaration.description !== 'string') throw badRequest(`${path}.description: must be a string.`, 'invalid_request');
    fn.description = declaration.description;
  }
  if (declaration.parametersJsonSchema !== undefined) {
    fn.parameters = checkedJsonSchema(declaration.parametersJsonSchema, `${path}.parametersJsonSchema`);
  } else if (declaration.parameters !== undefined) {
    fn.parameters = geminiSchemaToJsonSchema(declaration.parameters, `${path}.parameters`);
  } else {
    fn.parameters = EMPTY_PARAMETERS;
  }
  return fn;
}

function callingConfig(toolConfig: unknown): JsonObject | undefined {
  if (toolConfig === undefined || toolConfig === null) return undefined;
  if (!isObject(toolConfig)) throw badRequest('toolConfig: must be an object.', 'invalid_request');
  const config = toolConfig.functionCallingConfig;
  if (config === undefined || config === null) return undefined;
  if (!isObject(config)) throw badRequest('toolConfig.functionCallingConfig: must be an object.', 'invalid_request');
  if (config.mode !== undefined && typeof config.mode !== 'string') {
    throw badRequest('toolConfig.functionCallingConfig.mode: must be AUTO, ANY, NONE or VALIDATED.', 'invalid_request');
  }
  return config;
}

function allowedNames(toolConfig: unknown): Set<string> | undefined {
  const names = callingConfig(toolConfig)?.allowedFunctionNames;
  if (names === undefined || names === null) return undefined;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
    throw badRequest('toolConfig.functionCallingConfig.allowedFunctionNames: must be an array of strings.', 'invalid_request');
  }
  return names.length > 0 ? new Set(names) : undefined;
}

/** AUTO -> auto, NONE -> none, ANY -> required (or that one function when only one is allowed). */
export function chatToolChoice(toolConfig: unknown): JsonObject {
  const config = callingConfig(toolConfig);
  const mode = typeof config?.mode === 'string' ? config.mode.toUpperCase() : 'AUTO';
  if (mode === 'NONE') return { tool_choice: 'none' };
  if (mode !== 'ANY') return {};
  const names = allowedNames(toolConfig);
  if (names?.size === 1) return { tool_choice: { type: 'function', function: { name: [...names][0] } } };
  return { tool_choice: 'required' };
}
