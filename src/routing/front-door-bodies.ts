import { isObject } from '../common/json';
import { badRequest } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';

// The bodies the front doors read themselves (/v1/responses, /v1/messages, a Responses-shaped
// /v1/chat/completions) are checked once, here, where they come in: their depth, so no converter or
// translator can overflow the stack when it walks or stringifies them, and the type and size of every
// field the bridges read or echo back. A plain chat body is not walked: it goes upstream as it came, and
// its one JSON.stringify is guarded where the upstream request is made.

/**
 * Deeper bodies are refused. JSON.parse takes any depth; JSON.stringify and the converters recurse and
 * overflow the stack a few thousand levels down. Real tool schemas stay far below this.
 */
export const MAX_BODY_DEPTH = 128;

// OpenAI's own limits for `metadata` on Responses and Chat Completions.
const METADATA_MAX_KEYS = 16;
const METADATA_KEY_MAX = 64;
const METADATA_VALUE_MAX = 512;
/** A stored response id is 53 characters; anything much longer cannot name one. */
const RESPONSE_ID_MAX = 256;

/** Whether `value` nests objects/arrays more than `max` levels deep. Iterative: safe at any depth. */
export function deeperThan(value: unknown, max: number): boolean {
  const stack: unknown[] = [value];
  const depths: number[] = [0];
  while (stack.length > 0) {
    const node = stack.pop();
    const depth = depths.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= max) return true;
    const children = Array.isArray(node) ? node : Object.values(node as JsonObject);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        stack.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/** Throws a 400 naming the first top-level field nested too deeply. */
function assertShallow(body: JsonObject): void {
  for (const key in body) {
    if (deeperThan(body[key], MAX_BODY_DEPTH - 1)) {
      throw badRequest(`The "${key}" parameter is nested too deeply (at most ${MAX_BODY_DEPTH} levels).`, 'nested_too_deeply', key);
    }
  }
}

type Kind = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';

function isKind(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'object': return isObject(value);
    case 'array': return Array.isArray(value);
    default: return typeof value === kind;
  }
}

/** `body[key]`, when present and not null, is one of `kinds`; otherwise a 400 naming it (`parent.key`). */
function expectKind(body: JsonObject, key: string, kinds: Kind[], parent?: string): void {
  const value = body[key];
  if (value === undefined || value === null || kinds.some((k) => isKind(value, k))) return;
  const what = kinds.map((k) => (k === 'integer' || k === 'array' || k === 'object' ? `an ${k}` : `a ${k}`)).join(' or ');
  const param = parent ? `${parent}.${key}` : key;
  throw badRequest(`The "${param}" parameter must be ${what}.`, 'invalid_type', param);
}

/** OpenAI's metadata: at most 16 string keys of up to 64 characters, string values of up to 512. */
export function assertMetadata(metadata: unknown): void {
  if (metadata === undefined || metadata === null) return;
  const refuse = (why: string) => badRequest(`The "metadata" parameter ${why}`, 'invalid_metadata', 'metadata');
  if (!isKind(metadata, 'object')) throw refuse('must be an object of string keys and string values.');
  const entries = Object.entries(metadata as JsonObject);
  if (entries.length > METADATA_MAX_KEYS) throw refuse(`may have at most ${METADATA_MAX_KEYS} keys.`);
  for (const [key, value] of entries) {
    if (key.length > METADATA_KEY_MAX) throw refuse(`keys may be at most ${METADATA_KEY_MAX} characters long.`);
    if (typeof value !== 'string') throw refuse('values must be strings.');
    if (value.length > METADATA_VALUE_MAX) throw refuse(`values may be at most ${METADATA_VALUE_MAX} characters long.`);
  }
}

/** The fields of a Responses body the bridge reads, converts or echoes in its answer. */
export function assertResponsesBody(body: JsonObject): void {
  assertShallow(body);
  assertMetadata(body.metadata);
  expectKind(body, 'input', ['string', 'array']);
  expectKind(body, 'instructions', ['string', 'array']);
  expectKind(body, 'reasoning', ['object']);
  if (isKind(body.reasoning, 'object')) {
    // Echoed back as they are in every answer.
    expectKind(body.reasoning as JsonObject, 'effort', ['string'], 'reasoning');
    expectKind(body.reasoning as JsonObject, 'summary', ['string'], 'reasoning');
  }
  expectKind(body, 'store', ['boolean']);
  expectKind(body, 'parallel_tool_calls', ['boolean']);
  expectKind(body, 'truncation', ['string']);
  if (body.truncation !== undefined && body.truncation !== null && body.truncation !== 'auto' && body.truncation !== 'disabled') {
    throw badRequest('The "truncation" parameter must be "auto" or "disabled".', 'invalid_value', 'truncation');
  }
  expectKind(body, 'previous_response_id', ['string']);
  if (typeof body.previous_response_id === 'string' && body.previous_response_id.length > RESPONSE_ID_MAX) {
    throw badRequest('The "previous_response_id" parameter is too long.', 'invalid_value', 'previous_response_id');
  }
  expectKind(body, 'tool_choice', ['string', 'object']);
  expectKind(body, 'tools', ['array']);
  expectKind(body, 'text', ['object']);
  expectKind(body, 'temperature', ['number']);
  expectKind(body, 'top_p', ['number']);
  expectKind(body, 'max_output_tokens', ['integer']);
  expectKind(body, 'max_tool_calls', ['integer']);
  expectKind(body, 'user', ['string']);
}

/** A Responses-shaped chat body (Cursor): the fields the chat-compat conversion reads. */
export function assertResponsesShapedChat(body: JsonObject): void {
  assertShallow(body);
  expectKind(body, 'instructions', ['string', 'array']);
  expectKind(body, 'reasoning', ['object']);
  expectKind(body, 'text', ['object']);
  expectKind(body, 'tools', ['array']);
}

/** The fields of an Anthropic Messages body the bridge reads or converts (Anthropic-dialect 400s by path). */
export function assertMessagesBody(body: JsonObject): void {
  assertShallow(body);
  expectKind(body, 'messages', ['array']);
  expectKind(body, 'system', ['string', 'array']);
  expectKind(body, 'tools', ['array']);
  expectKind(body, 'tool_choice', ['object']);
  expectKind(body, 'stop_sequences', ['array']);
  expectKind(body, 'metadata', ['object']);
  expectKind(body, 'thinking', ['object']);
}
