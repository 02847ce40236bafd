import { ApiError, GoogleGenAI } from '@google/genai';
import { chatAnswer, chunk } from './chat-chunks';
import { FakeUpstream, json, sse } from './fake-upstream';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// The Gemini door under bad input and a backend that misbehaves: every refusal is Google's
// {"error":{code,message,status}} with the right status, every broken stream ends with an error the
// Gen AI SDK raises, and the router keeps answering the next request.

const deep = (levels: number, leaf = '1') => `${'{"a":'.repeat(levels)}${leaf}${'}'.repeat(levels)}`;
/** A Gemini Schema of arrays of arrays …, `levels` deep. */
const deepItems = (levels: number) => `${'{"type":"ARRAY","items":'.repeat(levels)}{"type":"STRING"}${'}'.repeat(levels)}`;
const hi = '"contents":[{"role":"user","parts":[{"text":"hi"}]}]';

describe('gemini: edge validation and stream faults', () => {
  let upstream: FakeUpstream;
  let router: RunningRouter;
  let ai: GoogleGenAI;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    router = await startRouter({
      max_request_bytes: 1024 * 1024,
      aliases: { 'gemini-2.5-flash': 'chat/qwen3' },
      backends: [
        backend('chat', upstream.url, { retries: 0, stream_idle_timeout_ms: 300, keepalive_ms: 40 }),
        backend('thinker', upstream.url, { retries: 0, reasoning_effort: true }),
      ],
    });
    ai = new GoogleGenAI({ apiKey: ROUTER_KEY, httpOptions: { baseUrl: router.url } });
  });

  afterAll(async () => {
    await router?.close();
    await upstream?.close();
  });

  beforeEach(() => {
    upstream.handle(undefined);
    upstream.requests.length = 0;
  });

  const post = (body: string, method = 'generateContent') =>
    fetch(`${router.url}/v1beta/models/gemini-2.5-flash:${method}`, {
      method: 'POST',
      headers: { 'x-goog-api-key': ROUTER_KEY, 'content-type': 'application/json' },
      body,
    });

  /** The router still answers a plain request, bridged, right after the fault. */
  async function stillServes(): Promise<void> {
    upstream.handle((_req, res) => json(res, 200, chatAnswer({ content: 'still here' })));
    const result = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'are you there?' });
    expect(result.text).toBe('still here');
  }

  async function expectGoogleError(res: Response, code: number, status: string, message?: RegExp): Promise<void> {
    expect(res.status).toBe(code);
    const body = await res.json();
    expect(body).toEqual({ error: { code, status, message: expect.any(String) } });
    if (message) expect(body.error.message).toMatch(message);
  }

  it.each([
    ['contents is a number', `{"contents":5}`, /contents/],
    ['parts is not an array', `{"contents":[{"role":"user","parts":"hi"}]}`, /contents\.0\.parts/],
    ['a text part holds a number', `{"contents":[{"role":"user","parts":[{"text":7}]}]}`, /contents\.0\.parts\.0\.text/],
    ['an unknown role', `{"contents":[{"role":"robot","parts":[{"text":"hi"}]}]}`, /role/],
    ['temperature is a string', `{${hi},"generationConfig":{"temperature":"hot"}}`, /generationConfig\.temperature/],
    ['maxOutputTokens is a fraction', `{${hi},"generationConfig":{"maxOutputTokens":1.5}}`, /maxOutputTokens/],
    ['tools is an object', `{${hi},"tools":{"functionDeclarations":[]}}`, /tools/],
    ['a function without a name', `{${hi},"tools":[{"functionDeclarations":[{"description":"x"}]}]}`, /name/],
    ['an unknown schema type', `{${hi},"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"BLOB"}}]}]}`, /type/],
    ['functionCall args as a string', `{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":"x"}}]}]}`, /args/],
    ['the body is an array', `[1,2,3]`, /object/],
    ['the body is not JSON', `{"contents":`, undefined],
  ])('refuses a body where %s with 400 INVALID_ARGUMENT, before any backend', async (_what, body, message) => {
    await expectGoogleError(await post(body), 400, 'INVALID_ARGUMENT', message);
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses 5,000 levels of nesting with a clear 400, wherever they are, and keeps serving', async () => {
    const bodies = [
      `{${hi},"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":${deep(5000)}}]}]}`,
      `{${hi},"tools":[{"functionDeclarations":[{"name":"f","parameters":${deepItems(5000)}}]}]}`,
      `{${hi},"generationConfig":{"responseMimeType":"application/json","responseJsonSchema":${deep(5000)}}}`,
      `{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":${deep(50_000)}}}]}]}`,
    ];
    for (const body of bodies) {
      const res = await post(body);
      await expectGoogleError(res, 400, 'INVALID_ARGUMENT', /nest|deep/i);
    }
    const counted = await post(`{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":${deep(50_000)}}}]}]}`, 'countTokens');
    await expectGoogleError(counted, 400, 'INVALID_ARGUMENT', /nest|deep/i);
    expect(upstream.requests).toHaveLength(0);
    // A field the bridge does not read is not walked and not forwarded, however deep.
    const ignored = await post(`{${hi},"labels":${deep(5000)}}`);
    expect(ignored.status).toBe(200);
    expect(upstream.requests[0].body).not.toHaveProperty('labels');
    await stillServes();
  });

  it('refuses a body over max_request_bytes with 413 in Google shape', async () => {
    await expectGoogleError(await post(`{"contents":"${'a'.repeat(2 * 1024 * 1024)}"}`), 413, 'INVALID_ARGUMENT');
    await stillServes();
  });

  it('passes lone surrogates through as text without failing', async () => {
    upstream.handle((_req, res) => json(res, 200, chatAnswer({ content: 'ok' })));
    const res = await post(`{"contents":[{"role":"user","parts":[{"text":"a\\ud800b"}]}]}`);
    expect(res.status).toBe(200);
    expect(upstream.requests[0].body.messages).toEqual([{ role: 'user', content: 'a\ud800b' }]);
  });

  async function streamFailure(): Promise<{ texts: string[]; error: unknown }> {
    const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'go' });
    const texts: string[] = [];
    const error = await (async () => {
      for await (const part of stream) if (part.text) texts.push(part.text);
    })().catch((e: unknown) => e);
    return { texts, error };
  }

  it('ends with an ApiError when the backend goes silent in the middle of an event (idle timeout)', async () => {
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk({ content: 'half' }))}\n\ndata: {"choices":[{"delta":{"cont`);
      // Never finishes the event and never ends: the router's stream_idle_timeout_ms (300 ms) ends it.
    });
    const { texts, error } = await streamFailure();
    expect(texts).toEqual(['half']);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(504);
    await stillServes();
  });

  it('ends with an ApiError when the backend sends something that is not JSON mid-stream', async () => {
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify(chunk({ content: 'before ' }))}\n\ndata: <html>oops</html>\n\ndata: [DONE]\n\n`);
    });
    const { texts, error } = await streamFailure();
    expect(texts).toEqual(['before ']);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBeGreaterThanOrEqual(500);
    await stillServes();
  });

  it('ends with an ApiError when the backend closes the stream without [DONE] or a finish reason', async () => {
    upstream.handle((_req, res) => void sse(res, [chunk({ content: 'cut short' })], 0, false));
    const { texts, error } = await streamFailure();
    expect(texts).toEqual(['cut short']);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(502);
    expect(JSON.parse((error as ApiError).message.replace(/^[^{]*/, '')).error).toMatchObject({ status: 'UNAVAILABLE', message: expect.stringContaining('closed the stream') });
    await stillServes();
  });

  it('answers 502 in Google shape when the backend lies with a non-JSON 200', async () => {
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>not json</html>');
    });
    const res = await post(`{${hi}}`);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect((await res.json()).error).toMatchObject({ code: res.status, status: expect.stringMatching(/^[A-Z_]+$/) });
    await stillServes();
  });

  it('passes a backend error status through in Google shape (429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE)', async () => {
    for (const [status, name] of [[429, 'RESOURCE_EXHAUSTED'], [503, 'UNAVAILABLE']] as const) {
      upstream.handle((_req, res) => json(res, status, { error: { message: 'busy', type: 'server_error' } }));
      const error = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(status);
      expect(JSON.parse((error as ApiError).message).error).toMatchObject({ code: status, status: name });
    }
    await stillServes();
  });

  it('keeps a slow-starting stream alive with SSE comments, which the SDK reads past', async () => {
    upstream.handle(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 250));
      await sse(res, [chunk({ content: 'late ' }), chunk({ content: 'hello' }), chunk({}, 'stop')]);
    });
    const raw = await (await post(`{${hi}}`, 'streamGenerateContent?alt=sse')).text();
    expect(raw).toMatch(/^: keep-alive\n\n/);
    const texts: string[] = [];
    for await (const part of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'go' })) texts.push(part.text ?? '');
    expect(texts.join('')).toBe('late hello');
  });

  it('sends thinkingConfig as reasoning_effort only to a backend that takes it ("reasoning_effort": true)', async () => {
    upstream.handle((_req, res) => json(res, 200, chatAnswer({ content: 'thought' })));
    const body = (model: string) =>
      fetch(`${router.url}/v1beta/models/${model}:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': ROUTER_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: 'think', generationConfig: { thinkingConfig: { thinkingBudget: 20000, includeThoughts: true } } }),
      });
    expect((await body('gemini-2.5-flash')).status).toBe(200);
    expect((await body('thinker/qwen3')).status).toBe(200);
    expect(upstream.requests[0].body).not.toHaveProperty('reasoning_effort');
    expect(upstream.requests[1].body.reasoning_effort).toBe('high');
  });
});
