import { compileModelGlobs } from './model-globs';

describe('compileModelGlobs', () => {
  const cases: Array<[string[] | undefined, string, boolean]> = [
    [undefined, 'anything/at-all', true],
    [[], 'ollama/phi4', false],
    [['ollama/*'], 'ollama/phi4', true],
    [['ollama/*'], 'ollama/library/phi4', true],
    [['ollama/*'], 'ollama', false],
    [['ollama/*'], 'groq/ollama/phi4', false],
    [['groq/llama-*'], 'groq/llama-3.3-70b-versatile', true],
    [['groq/llama-*'], 'groq/mixtral-8x7b', false],
    [['o1'], 'o1', true],
    [['o1'], 'o1-mini', false],
    [['o1'], 'xo1', false],
    [['*'], 'openai/gpt-4o', true],
    [['*'], '', true],
    [['*mini'], 'openai/gpt-4o-mini', true],
    [['gpt-4.1'], 'gpt-4x1', false],
    [['a+b'], 'aab', false],
    [['a+b'], 'a+b', true],
    [['(x|y)'], 'x', false],
    [['(x|y)'], '(x|y)', true],
    [['[ab]'], 'a', false],
    [['o1', 'ollama/*'], 'ollama/qwq', true],
    [['o1', 'ollama/*'], 'o3', false],
    [['Ollama/*'], 'ollama/phi4', false],
    [['ollama/*'], 'ollama/\nphi4', true],
  ];

  it.each(cases)('globs %j on %j -> %s', (globs, model, expected) => {
    expect(compileModelGlobs(globs)(model)).toBe(expected);
  });
});
