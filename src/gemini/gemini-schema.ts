import { badRequest } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { isObject } from '../common/json';

// Gemini's Schema (an OpenAPI 3.0 subset with upper-case types: {"type":"OBJECT","properties":…,
// "nullable":true}) -> JSON Schema, as chat backends take for tool parameters and response_format.

/** Deeper schemas are refused: no tool or answer format needs more, and the walk stays bounded. */
export const MAX_SCHEMA_DEPTH = 64;

const TYPES: Record<string, string> = {
  STRING: 'string',
  NUMBER: 'number',
  INTEGER: 'integer',
  BOOLEAN: 'boolean',
  ARRAY: 'array',
  OBJECT: 'object',
  NULL: 'null',
};

/** Keywords that mean the same in both and carry plain values (numbers, strings, arrays of them). */
const PLAIN_KEYWORDS = [
  'format', 'title', 'description', 'enum', 'required', 'default',
  'minItems', 'maxItems', 'minLength', 'maxLength', 'minProperties', 'maxProperties', 'minimum', 'maximum', 'pattern',
];

export function geminiSchemaToJsonSchema(schema: unknown, path: string): JsonObject {
  return convert(schema, path, 0);
}

function convert(schema: unknown, path: string, depth: number): JsonObject {
  if (depth > MAX_SCHEMA_DEPTH) throw badRequest(`${path}: the schema is nested more than ${MAX_SCHEMA_DEPTH} levels deep.`, 'invalid_schema');
  if (!isObject(schema)) throw badRequest(`${path}: a schema must be an object.`, 'invalid_schema');
  const out: JsonObject = {};
  if (schema.type !== undefined && schema.type !== 'TYPE_UNSPECIFIED') {
    if (typeof schema.type !== 'string' || TYPES[schema.type.toUpperCase()] === undefined) {
      throw badRequest(`${path}.type: must be one of ${Object.keys(TYPES).join(', ')}.`, 'invalid_schema');
    }
    const type = TYPES[schema.type.toUpperCase()];
    out.type = schema.nullable === true && type !== 'null' ? [type, 'null'] : type;
  }
  for (const key of PLAIN_KEYWORDS) if (schema[key] !== undefined) out[key] = schema[key];
  if (schema.properties !== undefined) {
    if (!isObject(schema.properties)) throw badRequest(`${path}.properties: must be an object.`, 'invalid_schema');
    const properties: JsonObject = {};
    for (const [name, sub] of Object.entries(schema.properties)) properties[name] = convert(sub, `${path}.properties.${name}`, depth + 1);
    out.properties = properties;
  }
  if (schema.items !== undefined) out.items = convert(schema.items, `${path}.items`, depth + 1);
  if (schema.anyOf !== undefined) {
    if (!Array.isArray(schema.anyOf)) throw badRequest(`${path}.anyOf: must be an array of schemas.`, 'invalid_schema');
    out.anyOf = schema.anyOf.map((sub, i) => convert(sub, `${path}.anyOf.${i}`, depth + 1));
  }
  return out;
}

/**
 * A JSON Schema (parametersJsonSchema, responseJsonSchema), no deeper than the limit. Gemini CLI writes
 * some with Gemini's upper-case types ("OBJECT"): those become JSON Schema's lower-case ones.
 */
export function checkedJsonSchema(schema: unknown, path: string): JsonObject {
  if (!isObject(schema)) throw badRequest(`${path}: a schema must be an object.`, 'invalid_schema');
  return lowerCaseTypes(schema, path, 0) as JsonObject;
}

function lowerCaseTypes(value: unknown, path: string, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_SCHEMA_DEPTH) throw badRequest(`${path}: the schema is nested more than ${MAX_SCHEMA_DEPTH} levels deep.`, 'invalid_schema');
  if (Array.isArray(value)) return value.map((item) => lowerCaseTypes(item, path, depth + 1));
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = key === 'type' ? lowerCaseType(child) : lowerCaseTypes(child, path, depth + 1);
  }
  return out;
}

function lowerCaseType(type: unknown): unknown {
  if (typeof type === 'string') return TYPES[type] ?? type;
  if (Array.isArray(type)) return type.map((t) => (typeof t === 'string' ? (TYPES[t] ?? t) : t));
  // A property named "type" holds a schema, not a type name.
  return type;
}
