import { usageInTail } from './json-usage';

describe('usageInTail', () => {
  const tailOf = (body: unknown, bytes = 8192) => {
    const buf = Buffer.from(JSON.stringify(body));
    return buf.subarray(Math.max(0, buf.length - bytes));
  };

  it('reads the usage at the end of a large answer from its last bytes only', () => {
    const body = { object: 'list', data: [{ embedding: Array.from({ length: 20_000 }, (_, i) => i / 7) }], usage: { prompt_tokens: 5, total_tokens: 5 } };
    expect(usageInTail(tailOf(body))).toEqual({ promptTokens: 5, completionTokens: undefined, totalTokens: 5 });
  });

  it('handles fields after usage (llama.cpp timings), nested objects and braces inside strings', () => {
    const body = {
      choices: [{ message: { content: 'a "usage" of {braces}' } }],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 0 }, note: '}{' },
      timings: { predicted_ms: 12 },
    };
    expect(usageInTail(tailOf(body))).toEqual({ promptTokens: 3, completionTokens: 4, totalTokens: 7 });
  });

  it('gives nothing for an answer without usage or with a cut-off usage object', () => {
    expect(usageInTail(tailOf({ choices: [] }))).toBeUndefined();
    expect(usageInTail(Buffer.from('"usage":{"prompt_tokens":3,'))).toBeUndefined();
  });
});
