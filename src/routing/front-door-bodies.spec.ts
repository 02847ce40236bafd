import { OpenAIError } from '../common/openai-error';
import { assertMetadata, assertResponsesBody, deeperThan, MAX_BODY_DEPTH } from './front-door-bodies';

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? { a: value } : [value];
  return value;
}

describe('front-door bodies', () => {
  it.each([
    [0, 0, false],
    [1, 0, true],
    [3, 3, false],
    [4, 3, true],
    [100_000, MAX_BODY_DEPTH, true],
  ])('measures nesting of %i levels against a limit of %i without recursion', (depth, max, deeper) => {
    expect(deeperThan(nested(depth), max)).toBe(deeper);
  });

  it('accepts the bodies real clients send', () => {
    expect(() =>
      assertResponsesBody({
        model: 'm',
        input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
        instructions: 'Be brief.',
        tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: { a: { type: 'array', items: { type: 'string' } } } } }],
        tool_choice: 'auto',
        reasoning: { effort: 'medium', summary: 'auto' },
        store: false,
        include: ['reasoning.encrypted_content'],
        metadata: { a: 'b' },
        max_output_tokens: 100,
        truncation: null,
      }),
    ).not.toThrow();
  });

  it.each([
    [{ reasoning: { effort: 1 } }, 'reasoning.effort'],
    [{ max_output_tokens: 1.5 }, 'max_output_tokens'],
    [{ input: 3 }, 'input'],
    [{ tools: { type: 'function' } }, 'tools'],
    [{ tools: [nested(MAX_BODY_DEPTH)] }, 'tools'],
  ])('refuses %j naming %s', (fields, param) => {
    let error: unknown;
    try {
      assertResponsesBody({ model: 'm', input: 'x', ...fields });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OpenAIError);
    expect(error).toMatchObject({ status: 400, param });
  });

  it('takes metadata of exactly OpenAI’s limits', () => {
    const full = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`${i}`.padEnd(64, 'k'), 'v'.repeat(512)]));
    expect(() => assertMetadata(full)).not.toThrow();
  });
});
