import { forwardedQuery, nativeGeminiPath } from './gemini-native-path';

describe('nativeGeminiPath', () => {
  it('keeps the query (alt=sse) but never the key, and keeps "/" and ":" of the model name', () => {
    expect(forwardedQuery('/v1beta/models/m:streamGenerateContent?key=secret&alt=sse')).toBe('?alt=sse');
    expect(forwardedQuery('/v1beta/models/m:generateContent?key=secret')).toBe('');
    expect(forwardedQuery('/v1beta/models/m:generateContent')).toBe('');
    const path = nativeGeminiPath('streamGenerateContent', '/models/x:streamGenerateContent?alt=sse&key=k');
    expect(path('tunedModels/qwen3-coder:30b')).toBe('models/tunedModels/qwen3-coder:30b:streamGenerateContent?alt=sse');
    expect(path('a b?#')).toBe('models/a%20b%3F%23:streamGenerateContent?alt=sse');
  });
});
