import { isGeminiPath, isGoogleModelsRequest, queryKey, withoutQueryKey } from './gemini-path';

describe('gemini paths and the ?key= of their URLs', () => {
  it.each([
    ['/v1beta/models/gemini-2.5-flash:generateContent', true],
    ['/v1/models/ollama/qwen3-coder:30b:streamGenerateContent?alt=sse', true],
    ['/models/m:countTokens', true],
    ['/v1beta/models', true],
    ['/v1beta/models/gemini-2.5-flash', true],
    ['/v1/models', false],
    ['/v1/chat/completions', false],
    ['/v1/messages', false],
    [undefined, false],
  ])('%s is a Gemini path: %s', (url, gemini) => expect(isGeminiPath(url)).toBe(gemini));

  it('reads the key from the query, decoded, and nothing else', () => {
    expect(queryKey('/v1beta/models/m:generateContent?alt=sse&key=abc%2B1')).toBe('abc+1');
    expect(queryKey('/v1beta/models/m:generateContent?monkey=1')).toBeUndefined();
    expect(queryKey('/v1beta/models/m:generateContent?key=')).toBeUndefined();
    expect(queryKey('/v1beta/models/m:generateContent?key=%E0%A4%A')).toBeUndefined();
    expect(queryKey('/v1beta/models/m:generateContent')).toBeUndefined();
  });

  it('redacts every key= value of a URL for logs', () => {
    expect(withoutQueryKey('/v1beta/models/m:generateContent?key=secret&alt=sse')).toBe('/v1beta/models/m:generateContent?key=[redacted]&alt=sse');
    expect(withoutQueryKey('/x?alt=sse&key=secret')).toBe('/x?alt=sse&key=[redacted]');
    expect(withoutQueryKey('/v1/chat/completions')).toBe('/v1/chat/completions');
  });

  it('takes GET /v1/models[/{model}] with x-goog-api-key for a Gemini client, and nothing else', () => {
    const goog = { 'x-goog-api-key': 'k' };
    expect(isGoogleModelsRequest({ url: '/v1/models', headers: goog })).toBe(true);
    expect(isGoogleModelsRequest({ url: '/v1/models/gemini-2.5-flash?pageSize=50', headers: goog })).toBe(true);
    expect(isGoogleModelsRequest({ url: '/models', headers: goog })).toBe(true);
    expect(isGoogleModelsRequest({ url: '/v1/models', headers: { authorization: 'Bearer k' } })).toBe(false);
    expect(isGoogleModelsRequest({ url: '/v1/chat/completions', headers: goog })).toBe(false);
    expect(isGoogleModelsRequest({ url: '/v1/modelsx', headers: goog })).toBe(false);
  });
});
