import { ApiError, GoogleGenAI } from '@google/genai';
import { FakeUpstream, json, type Handler, type RecordedRequest } from './fake-upstream';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// The Gemini door's paths and keys: native pass-through to a backend that speaks the Gemini API itself
// (its own key as x-goog-api-key, the body and ?alt=sse kept), the router key by x-goog-api-key, ?key= or
// Bearer on /v1beta, /v1 and unprefixed paths, model names holding "/" and ":", and the Google model list.

const TEAM_KEY = 'team_key_gemini_native_0000001';
const LIMITED_KEY = 'team_key_gemini_limited_000002';

const geminiAnswer = (text: string) => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 1, totalTokenCount: 3 },
  modelVersion: 'gemini-2.5-pro',
  responseId: 'native-1',
});

describe('gemini: native pass-through, keys and paths', () => {
  let google: FakeUpstream;
  let chat: FakeUpstream;
  let router: RunningRouter;
  /** How the Gemini backend answers generateContent calls; its model list (GET) is fixed, and kept apart. */
  let answerNative: Handler = (_req, res) => json(res, 500, {});
  const listCalls: RecordedRequest[] = [];

  beforeAll(async () => {
    [google, chat] = await Promise.all([FakeUpstream.start(), FakeUpstream.start()]);
    google.handle((req, res, raw) => {
      if (req.method !== 'GET') return answerNative(req, res, raw);
      listCalls.push(req);
      json(res, 200, { models: [{ name: 'models/gemini-2.5-flash-lite', supportedGenerationMethods: ['generateContent'] }] });
    });
    router = await startRouter(
      {
        aliases: { 'gemini-2.5-pro': 'studio/gemini-2.5-pro', 'gemini-2.5-flash': 'chat/qwen3-coder:30b' },
        backends: [
          backend('studio', `${google.url.replace(/\/v1$/, '')}/v1beta`, { endpoints: ['gemini'], key_env_var: 'STUDIO_KEY' }),
          backend('chat', chat.url, { key_env_var: 'CHAT_KEY' }),
        ],
        api_keys: [
          { name: 'team', key_env: 'TEAM_KEY', allowed_models: ['gemini-2.5-flash'] },
          { name: 'limited', key_env: 'LIMITED_KEY', rate_limit: { requests_per_minute: 2 } },
        ],
      },
      { STUDIO_KEY: 'studio_secret', CHAT_KEY: 'chat_secret', TEAM_KEY, LIMITED_KEY },
    );
  });

  afterAll(async () => {
    await router?.close();
    await Promise.all([google, chat].map((f) => f?.close()));
  });

  beforeEach(() => {
    google.requests.length = 0;
    chat.requests.length = 0;
    chat.handle(undefined);
  });

  it('passes generateContent to a "gemini" backend untouched, with its own key as x-goog-api-key', async () => {
    answerNative = ((_req, res) => json(res, 200, geminiAnswer('native hello')));
    const ai = new GoogleGenAI({ apiKey: ROUTER_KEY, httpOptions: { baseUrl: router.url } });
    const result = await ai.models.generateContent({
      model: 'gemini-2.5-pro',
      contents: 'hi',
      config: { temperature: 0.3, safetySettings: [{ category: 'HARM_CATEGORY_HATE_SPEECH' as never, threshold: 'BLOCK_NONE' as never }] },
    });
    expect(result.text).toBe('native hello');
    expect(result.responseId).toBe('native-1');
    const [sent] = google.requests;
    expect(sent.path).toMatch(/^\/v1beta\/models\/gemini-2\.5-pro:generateContent$/);
    expect(sent.headers['x-goog-api-key']).toBe('studio_secret');
    expect(sent.rawBody).not.toContain(ROUTER_KEY);
    expect(JSON.stringify(sent.headers)).not.toContain(ROUTER_KEY);
    expect(sent.body).toMatchObject({
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      generationConfig: { temperature: 0.3 },
      safetySettings: [{ category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'BLOCK_NONE' }],
    });
    expect(sent.body).not.toHaveProperty('model');
  });

  it('streams natively with ?alt=sse kept and the client ?key= dropped', async () => {
    answerNative = ((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(geminiAnswer('one '))}\r\n\r\n`);
      res.end(`data: ${JSON.stringify(geminiAnswer('two'))}\r\n\r\n`);
    });
    const res = await fetch(`${router.url}/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=${ROUTER_KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'count' }] }] }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"one "');
    expect(text).toContain('"two"');
    expect(google.requests[0].path).toBe('/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse');
  });

  it('ends a native stream the backend drops midway with a Google error the SDK raises, and keeps serving', async () => {
    answerNative = ((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(geminiAnswer('partial'))}\r\n\r\n`, () => setTimeout(() => res.destroy(), 50));
    });
    const ai = new GoogleGenAI({ apiKey: ROUTER_KEY, httpOptions: { baseUrl: router.url } });
    const texts: string[] = [];
    const error = await (async () => {
      for await (const part of await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'go' })) texts.push(part.text ?? '');
    })().catch((e: unknown) => e);
    expect(texts).toEqual(['partial']);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(502);
    answerNative = ((_req, res) => json(res, 200, geminiAnswer('back again')));
    expect((await ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'hi' })).text).toBe('back again');
  });

  it('answers a native request nested too deep to forward with a clear 400, the backend untouched', async () => {
    const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    for (const levels of [5_000, 50_000]) {
      const res = await fetch(`${router.url}/v1beta/models/gemini-2.5-pro:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': ROUTER_KEY, 'content-type': 'application/json' },
        body: `{"contents":"hi","labels":${deep(levels)}}`,
      });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', message: expect.stringMatching(/nested too deeply/) });
    }
    expect(google.requests).toHaveLength(0);
  });

  it.each([
    ['x-goog-api-key on /v1beta', '/v1beta', { 'x-goog-api-key': ROUTER_KEY }, ''],
    ['?key= on /v1', '/v1', {}, `?key=${ROUTER_KEY}`],
    ['Bearer without a version prefix', '', { authorization: `Bearer ${ROUTER_KEY}` }, ''],
  ])('bridges a model name holding "/" and ":" with the key as %s', async (_how, version, headers, query) => {
    const res = await fetch(`${router.url}${version}/models/chat/qwen3-coder:30b:generateContent${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ contents: 'hello' }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).candidates[0].content.parts[0].text).toEqual(expect.any(String));
    expect(chat.requests[0].body.model).toBe('qwen3-coder:30b');
    expect(chat.requests[0].headers.authorization).toBe('Bearer chat_secret');
  });

  it('reads nothing before the key is accepted: a wrong key with a broken body is 401, in Google shape', async () => {
    for (const headers of [{ 'x-goog-api-key': 'wrong' }, {}] as Record<string, string>[]) {
      const res = await fetch(`${router.url}/v1beta/models/gemini-2.5-flash:generateContent?key=also-wrong`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{"contents": [',
      });
      expect(res.status).toBe(401);
      expect((await res.json()).error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    }
    expect(chat.requests).toHaveLength(0);
  });

  it('lists the models in Google shape, filtered by the team key, and gets one by name', async () => {
    const all = new GoogleGenAI({ apiKey: ROUTER_KEY, httpOptions: { baseUrl: router.url, apiVersion: 'v1beta' } });
    const names: string[] = [];
    for await (const model of await all.models.list()) names.push(model.name ?? '');
    expect(names).toEqual(expect.arrayContaining(['models/gemini-2.5-pro', 'models/gemini-2.5-flash']));

    const team = new GoogleGenAI({ apiKey: TEAM_KEY, httpOptions: { baseUrl: router.url, apiVersion: 'v1beta' } });
    const teamNames: string[] = [];
    for await (const model of await team.models.list()) teamNames.push(model.name ?? '');
    expect(teamNames).toEqual(['models/gemini-2.5-flash']);

    const one = await all.models.get({ model: 'gemini-2.5-flash' });
    expect(one).toMatchObject({ name: 'models/gemini-2.5-flash', supportedActions: expect.arrayContaining(['generateContent']) });
    const missing = await fetch(`${router.url}/v1beta/models/nowhere`, { headers: { 'x-goog-api-key': ROUTER_KEY } });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    // OpenAI's list stays OpenAI's.
    const openai = await fetch(`${router.url}/v1/models`, { headers: { authorization: `Bearer ${ROUTER_KEY}` } });
    expect((await openai.json()).object).toBe('list');
  });

  it("lists and gets models on the SDK's default API version (v1) in Google shape, OpenAI's shape for a Bearer key", async () => {
    const ai = new GoogleGenAI({ apiKey: ROUTER_KEY, httpOptions: { baseUrl: router.url } });
    const names: string[] = [];
    for await (const model of await ai.models.list()) names.push(model.name ?? '');
    expect(names).toEqual(expect.arrayContaining(['models/gemini-2.5-pro', 'models/gemini-2.5-flash']));
    expect(await ai.models.get({ model: 'gemini-2.5-pro' })).toMatchObject({ name: 'models/gemini-2.5-pro' });
    // The Gemini backend's own list, asked with its key as x-goog-api-key and read in Google's shape.
    expect(names).toContain('models/studio/gemini-2.5-flash-lite');
    // (The list is cached for a while: asked here or by an earlier test.)
    expect(listCalls.length).toBeGreaterThan(0);
    for (const call of listCalls) {
      expect(call.path).toBe('/v1beta/models');
      expect(call.headers['x-goog-api-key']).toBe('studio_secret');
      expect(call.headers.authorization).toBeUndefined();
    }

    const openai = await fetch(`${router.url}/v1/models/gemini-2.5-pro`, { headers: { authorization: `Bearer ${ROUTER_KEY}` } });
    expect(await openai.json()).toEqual({ id: 'gemini-2.5-pro', object: 'model', created: expect.any(Number), owned_by: expect.any(String) });
    const wrong = await fetch(`${router.url}/v1/models`, { headers: { 'x-goog-api-key': 'wrong' } });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    const missing = await fetch(`${router.url}/v1/models/nowhere`, { headers: { authorization: `Bearer ${ROUTER_KEY}` } });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatchObject({ type: 'not_found_error', code: 'model_not_found' });
  });

  it("counts a team key's Gemini requests in its limit, usage, metrics and dashboard: over the limit 429 RESOURCE_EXHAUSTED", async () => {
    const ai = new GoogleGenAI({ apiKey: LIMITED_KEY, httpOptions: { baseUrl: router.url } });
    expect((await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'one' })).text).toBe('Hello');
    const streamed: string[] = [];
    for await (const part of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'two' })) streamed.push(part.text ?? '');
    expect(streamed.join('')).toBe('Hello');
    const over = await fetch(`${router.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': LIMITED_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: 'three' }),
    });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await over.json()).error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });

    // Usage: the day window (a minute boundary may fall inside the test); tokens are charged when the response closes.
    let row: { requests: number; total_tokens: number } | undefined;
    for (let i = 0; i < 50 && (row?.total_tokens ?? 0) < 7; i++) {
      const report = (await (await fetch(`${router.url}/v1/usage`, { headers: { authorization: `Bearer ${ROUTER_KEY}` } })).json()) as {
        windows: Array<{ window: string; data: Array<{ key: string; model: string; requests: number; total_tokens: number }> }>;
      };
      row = report.windows.find((w) => w.window === 'day')!.data.find((r) => r.key === 'limited' && r.model === 'gemini-2.5-flash');
      if ((row?.total_tokens ?? 0) < 7) await new Promise((r) => setTimeout(r, 20));
    }
    expect(row).toMatchObject({ requests: 2, total_tokens: 7 });
    const metrics = await (await fetch(`${router.url}/metrics`, { headers: { authorization: `Bearer ${ROUTER_KEY}` } })).text();
    expect(metrics).toMatch(/key="limited"/);
    // The dashboard's recent requests show them to the key itself, the 429 too.
    const dashboard = await (await fetch(`${router.url}/ui/api/requests`, { headers: { authorization: `Bearer ${LIMITED_KEY}` } })).json();
    expect(dashboard.data.map((l: { model: string; status: number }) => [l.model, l.status])).toEqual([
      ['gemini-2.5-flash', 429],
      ['gemini-2.5-flash', 200],
      ['gemini-2.5-flash', 200],
    ]);
  });
});
