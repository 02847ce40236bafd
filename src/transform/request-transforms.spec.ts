import { rewriteRoles, stripMessageParams, stripParams } from './request-transforms';

function frozenCopy<T>(value: T): T {
  const copy = structuredClone(value);
  const freeze = (v: unknown) => {
    if (typeof v === 'object' && v !== null) {
      Object.values(v).forEach(freeze);
      Object.freeze(v);
    }
  };
  freeze(copy);
  return copy;
}

const body = {
  model: 'm',
  reasoning_effort: 'high',
  tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
  messages: [
    { role: 'developer', content: 'Be brief' },
    { role: 'user', content: 'שלום 👋', name: 'u' },
    { role: 'assistant', content: 'hi', reasoning_content: 'thinking…' },
    'not an object',
  ],
};

describe('rewriteRoles', () => {
  it.each([
    ['renames mapped roles only', { developer: 'system' }, ['system', 'user', 'assistant']],
    ['renames several roles', { developer: 'system', assistant: 'model' }, ['system', 'user', 'model']],
    ['leaves roles alone without a mapping', {}, ['developer', 'user', 'assistant']],
    ['leaves roles alone with no rewrites configured', undefined, ['developer', 'user', 'assistant']],
    ['ignores inherited names such as toString', { toString: 'x' } as Record<string, string>, ['developer', 'user', 'assistant']],
  ])('%s', (_what, rewrites, roles) => {
    const input = frozenCopy(body);
    const out = rewriteRoles(input, rewrites);
    expect((out.messages as Array<{ role?: string }>).slice(0, 3).map((m) => m.role)).toEqual(roles);
    expect(input).toEqual(body);
  });

  it('copies only what it changes and never mutates the client body', () => {
    const input = frozenCopy(body);
    const out = rewriteRoles(input, { developer: 'system' });
    expect(out).not.toBe(input);
    const [m0, m1, m2, m3] = out.messages as unknown[];
    expect(m0).toEqual({ role: 'system', content: 'Be brief' });
    expect(m1).toBe((input.messages as unknown[])[1]);
    expect(m2).toBe((input.messages as unknown[])[2]);
    expect(m3).toBe('not an object');
    expect(out.tools).toBe(input.tools);
    expect((input.messages as Array<{ role: string }>)[0].role).toBe('developer');
  });

  it('returns the same object when nothing matches', () => {
    const input = frozenCopy(body);
    expect(rewriteRoles(input, { tool: 'function' })).toBe(input);
    expect(rewriteRoles({ model: 'm', messages: 'oops' }, { developer: 'system' })).toEqual({ model: 'm', messages: 'oops' });
  });
});

describe('stripParams', () => {
  it.each([
    ['drops a listed top-level key', ['reasoning_effort'], ['model', 'tools', 'messages']],
    ['drops several keys', ['reasoning_effort', 'tools'], ['model', 'messages']],
    ['ignores keys the body does not have', ['logit_bias'], ['model', 'reasoning_effort', 'tools', 'messages']],
    ['does nothing with an empty list', [], ['model', 'reasoning_effort', 'tools', 'messages']],
  ])('%s', (_what, params, keys) => {
    const input = frozenCopy(body);
    const out = stripParams(input, params);
    expect(Object.keys(out)).toEqual(keys);
    expect(input).toEqual(body);
  });

  it('does not touch nested keys of the same name', () => {
    const input = frozenCopy({ model: 'm', messages: [{ role: 'user', content: 'x', reasoning_effort: 'keep' }] });
    expect(stripParams(input, ['reasoning_effort'])).toBe(input);
  });
});

describe('stripMessageParams', () => {
  it('drops keys from every message and copies only the changed messages', () => {
    const input = frozenCopy(body);
    const out = stripMessageParams(input, ['reasoning_content', 'name']);
    expect(out.messages).toEqual([
      { role: 'developer', content: 'Be brief' },
      { role: 'user', content: 'שלום 👋' },
      { role: 'assistant', content: 'hi' },
      'not an object',
    ]);
    expect((out.messages as unknown[])[0]).toBe((input.messages as unknown[])[0]);
    expect(input).toEqual(body);
  });

  it.each([
    ['an empty list', []],
    ['keys no message has', ['audio']],
  ])('returns the same body for %s', (_what, params) => {
    const input = frozenCopy(body);
    expect(stripMessageParams(input, params)).toBe(input);
  });
});
