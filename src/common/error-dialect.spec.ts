import type { ServerResponse } from 'node:http';
import { anthropicErrorType, dialectOf, googleStatus, sseErrorEventIn, writeErrorIn } from './error-dialect';
import { OpenAIError } from './openai-error';

function fakeResponse() {
  const headers: Record<string, unknown> = {};
  const res = {
    statusCode: 0,
    body: '',
    setHeader: (k: string, v: unknown) => (headers[k.toLowerCase()] = v),
    end: (b: string) => (res.body = b),
  };
  return { res, headers };
}

describe('writeErrorIn', () => {
  it('writes OpenAI errors as {"error":{message,type,code,param}}', () => {
    const { res } = fakeResponse();
    writeErrorIn('openai', res as unknown as ServerResponse, new OpenAIError(404, 'model_not_found', 'No such model.'));
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ error: { message: 'No such model.', type: 'not_found_error', code: 'model_not_found', param: null } });
  });

  it('writes Anthropic errors as {"type":"error","error":{type,message}} with the same status and retry-after', () => {
    const { res, headers } = fakeResponse();
    writeErrorIn('anthropic', res as unknown as ServerResponse, new OpenAIError(429, 'rate_limit_exceeded', 'Slow down.', 'rate_limit_error', { 'retry-after': '7' }));
    expect(res.statusCode).toBe(429);
    expect(headers['retry-after']).toBe('7');
    expect(JSON.parse(res.body)).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down.' } });
  });

  it('writes Google errors as {"error":{code,message,status}} with the same status and retry-after', () => {
    const { res, headers } = fakeResponse();
    writeErrorIn('google', res as unknown as ServerResponse, new OpenAIError(429, 'rate_limit_exceeded', 'Slow down.', 'rate_limit_error', { 'retry-after': '3' }));
    expect(res.statusCode).toBe(429);
    expect(headers['retry-after']).toBe('3');
    expect(JSON.parse(res.body)).toEqual({ error: { code: 429, message: 'Slow down.', status: 'RESOURCE_EXHAUSTED' } });
  });

  it.each([
    [400, 'INVALID_ARGUMENT'],
    [401, 'UNAUTHENTICATED'],
    [403, 'PERMISSION_DENIED'],
    [404, 'NOT_FOUND'],
    [413, 'INVALID_ARGUMENT'],
    [429, 'RESOURCE_EXHAUSTED'],
    [500, 'INTERNAL'],
    [502, 'UNAVAILABLE'],
    [503, 'UNAVAILABLE'],
    [504, 'DEADLINE_EXCEEDED'],
  ])('maps status %i to the Google status %s', (status, name) => {
    expect(googleStatus(status)).toBe(name);
  });

  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'request_too_large'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [503, 'overloaded_error'],
    [504, 'api_error'],
  ])('maps status %i to the Anthropic type %s', (status, type) => {
    expect(anthropicErrorType(status)).toBe(type);
  });
});

describe('sseErrorEventIn', () => {
  it('is one OpenAI data event after a blank line that closes any half-written event', () => {
    const text = sseErrorEventIn('openai', 'Backend "x" failed', 'upstream_stream_error');
    expect(text.startsWith('\n\n')).toBe(true);
    const data = text.trim();
    expect(data.startsWith('data: ')).toBe(true);
    expect(JSON.parse(data.slice(6))).toEqual({ error: { message: 'Backend "x" failed', type: 'api_error', code: 'upstream_stream_error' } });
  });

  it('is an Anthropic `event: error` for Messages clients', () => {
    const lines = sseErrorEventIn('anthropic', 'Backend "x" failed', 'upstream_stream_error').trim().split('\n');
    expect(lines[0]).toBe('event: error');
    expect(JSON.parse(lines[1].slice(6))).toEqual({ type: 'error', error: { type: 'api_error', message: 'Backend "x" failed' } });
  });

  it('is a Google {"error":{…}} data event for Gemini clients, which the Gen AI SDK raises', () => {
    const data = sseErrorEventIn('google', 'Backend "x" failed', 'upstream_stream_error').trim();
    expect(JSON.parse(data.slice(6))).toEqual({ error: { code: 502, message: 'Backend "x" failed', status: 'UNAVAILABLE' } });
  });
});

describe('dialectOf', () => {
  it.each([
    ['/v1/messages', 'anthropic'],
    ['/messages/count_tokens?beta=true', 'anthropic'],
    ['/v1/chat/completions', 'openai'],
    ['/v1/responses', 'openai'],
    ['/v1/messagesX', 'openai'],
    ['/v1beta/models/gemini-2.5-flash:generateContent', 'google'],
    ['/models/ollama/qwen3-coder:30b:streamGenerateContent?alt=sse', 'google'],
    ['/v1beta/models', 'google'],
    ['/v1/models', 'openai'],
  ])('answers %s in the %s dialect', (url, dialect) => {
    expect(dialectOf({ url })).toBe(dialect);
  });

  it("answers a Gemini client (x-goog-api-key) on OpenAI's model paths in Google's dialect", () => {
    expect(dialectOf({ url: '/v1/models', headers: { 'x-goog-api-key': 'k' } })).toBe('google');
    expect(dialectOf({ url: '/v1/models', headers: { authorization: 'Bearer k' } })).toBe('openai');
  });

  it('decides once per request: a later rewrite of the URL does not change the dialect', () => {
    const req: { url: string; errorDialect?: 'openai' | 'anthropic' } = { url: '/v1/messages' };
    expect(dialectOf(req)).toBe('anthropic');
    req.url = '/v1/chat/completions';
    expect(dialectOf(req)).toBe('anthropic');
    expect(req.errorDialect).toBe('anthropic');
  });
});
