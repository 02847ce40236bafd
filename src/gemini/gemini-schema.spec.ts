import { OpenAIError } from '../common/openai-error';
import { checkedJsonSchema, geminiSchemaToJsonSchema, MAX_SCHEMA_DEPTH } from './gemini-schema';

/** `levels` schemas of arrays, each the items of the one above. */
function nestedItems(levels: number, type = 'ARRAY'): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'STRING' };
  for (let i = 0; i < levels; i++) schema = { type, items: schema };
  return schema;
}

function refusal(work: () => unknown): OpenAIError {
  try {
    work();
  } catch (error) {
    if (error instanceof OpenAIError) return error;
    throw error;
  }
  throw new Error('expected a 400');
}

describe('geminiSchemaToJsonSchema', () => {
  it("turns Gemini's upper-case OpenAPI subset into JSON Schema, nullable as a type union", () => {
    const schema = geminiSchemaToJsonSchema(
      {
        type: 'OBJECT',
        description: 'A city.',
        properties: {
          name: { type: 'STRING', minLength: 1 },
          tags: { type: 'ARRAY', items: { type: 'STRING', enum: ['a', 'b'] }, maxItems: 3 },
          population: { type: 'INTEGER', nullable: true, minimum: 0 },
          either: { anyOf: [{ type: 'NUMBER' }, { type: 'boolean' }] },
        },
        required: ['name'],
        propertyOrdering: ['name'],
      },
      'parameters',
    );
    expect(schema).toEqual({
      type: 'object',
      description: 'A city.',
      properties: {
        name: { type: 'string', minLength: 1 },
        tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, maxItems: 3 },
        population: { type: ['integer', 'null'], minimum: 0 },
        either: { anyOf: [{ type: 'number' }, { type: 'boolean' }] },
      },
      required: ['name'],
    });
  });

  it('refuses an unknown type, properties that are not an object and anyOf that is not an array', () => {
    expect(refusal(() => geminiSchemaToJsonSchema({ type: 'BLOB' }, 'p')).message).toMatch(/p\.type/);
    expect(refusal(() => geminiSchemaToJsonSchema({ type: 'OBJECT', properties: [] }, 'p')).message).toMatch(/p\.properties/);
    expect(refusal(() => geminiSchemaToJsonSchema({ anyOf: {} }, 'p')).message).toMatch(/p\.anyOf/);
    expect(refusal(() => geminiSchemaToJsonSchema('OBJECT', 'p')).message).toMatch(/must be an object/);
  });

  it(`takes ${MAX_SCHEMA_DEPTH} levels and refuses 5,000 with a 400, without recursing through them`, () => {
    expect(geminiSchemaToJsonSchema(nestedItems(MAX_SCHEMA_DEPTH), 'p').type).toBe('array');
    const error = refusal(() => geminiSchemaToJsonSchema(nestedItems(5000), 'p'));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/nested more than 64 levels/);
  });
});

describe('checkedJsonSchema', () => {
  it('keeps a JSON Schema as it is, lower-casing the upper-case type names Gemini CLI writes', () => {
    const schema = { type: 'OBJECT', properties: { score: { type: 'INTEGER' }, tag: { type: ['STRING', 'NULL'] }, type: { type: 'string' } }, additionalProperties: false };
    expect(checkedJsonSchema(schema, 's')).toEqual({
      type: 'object',
      properties: { score: { type: 'integer' }, tag: { type: ['string', 'null'] }, type: { type: 'string' } },
      additionalProperties: false,
    });
  });

  it('refuses a schema that is not an object, and one nested 5,000 levels', () => {
    expect(refusal(() => checkedJsonSchema([], 's')).message).toMatch(/must be an object/);
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 5000; i++) deep = { not: deep };
    expect(refusal(() => checkedJsonSchema(deep, 's')).message).toMatch(/nested more than/);
  });
});
