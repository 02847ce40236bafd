import { ApiError, FunctionCallingConfigMode, GoogleGenAI, Type } from '@google/genai';
import { chatAnswer, chunk, usageChunk } from './chat-chunks';
import { FakeUpstream, json, sse } from './fake-upstream';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// The Google Gen AI SDK (@google/genai) against the router, in front of a chat-only fake upstream: every
// Gemini request is converted to Chat Completions and every answer back; errors arrive in Google's shape.

const TEAM_KEY = 'team_key_for_gemini_tests_0001';

describe('gemini: the Google Gen AI SDK through the router to a chat-only backend', () => {
  let upstream: FakeUpstream;
  let router: RunningRouter;
  let ai: GoogleGenAI;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    router = await startRouter(
      {
        aliases: { 'gemini-2.5-flash': 'chat/qwen3-coder:30b', 'gemini-embedding-001': 'chat/nomic-embed-text' },
        backends: [backend('chat', upstream.url, { key_env_var: 'CHAT_BACKEND_KEY' })],
        api_keys: [{ name: 'team', key_env: 'TEAM_KEY', allowed_models: ['gemini-2.5-*'] }],
      },
      { CHAT_BACKEND_KEY: 'backend_secret_key', TEAM_KEY },
    );
    ai = new GoogleGenAI({ apiKey: ROUTER_KEY, httpOptions: { baseUrl: router.url } });
  });

  afterAll(async () => {
    await router?.close();
    await upstream?.close();
  });

  beforeEach(() => upstream.handle(undefined));

  it('answers generateContent from a chat backend, with the backend key upstream and never the router key', async () => {
    upstream.handle((_req, res) => json(res, 200, chatAnswer({ content: 'Hello from qwen' })));
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Say hello',
      config: { systemInstruction: 'Be brief.', temperature: 0.2, maxOutputTokens: 100, stopSequences: ['END'] },
    });
    expect(response.text).toBe('Hello from qwen');
    expect(response.candidates?.[0].finishReason).toBe('STOP');
    expect(response.usageMetadata).toMatchObject({ promptTokenCount: 11, candidatesTokenCount: 3, totalTokenCount: 14 });
    expect(response.modelVersion).toBe('gemini-2.5-flash');
    const sent = upstream.last;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer backend_secret_key');
    expect(sent.rawBody).not.toContain(ROUTER_KEY);
    expect(sent.body).toMatchObject({
      model: 'qwen3-coder:30b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
      temperature: 0.2,
      max_tokens: 100,
      stop: ['END'],
    });
    expect(sent.body.stream).toBeUndefined();
  });

  it('streams generateContentStream text as it arrives, the last chunk with finishReason and usage', async () => {
    upstream.handle((_req, res) => sse(res, [chunk({ role: 'assistant', content: 'Hel' }), chunk({ content: 'lo ' }), chunk({ content: 'there' }), chunk({}, 'stop'), usageChunk(9, 3)]));
    const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Say hello' });
    const texts: string[] = [];
    let last: any;
    for await (const part of stream) {
      if (part.text) texts.push(part.text);
      last = part;
    }
    expect(texts).toEqual(['Hel', 'lo ', 'there']);
    expect(last.candidates[0].finishReason).toBe('STOP');
    expect(last.usageMetadata).toMatchObject({ promptTokenCount: 9, candidatesTokenCount: 3, totalTokenCount: 12 });
    expect(upstream.last.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('completes a function-calling round trip: declaration, whole functionCall, functionResponse as a tool message', async () => {
    upstream.handle((_req, res) =>
      sse(res, [
        chunk({ role: 'assistant', tool_calls: [{ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, id: 'call_late_1', function: { arguments: '{"city":"Par' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: 'is"}' } }] }),
        chunk({}, 'tool_calls'),
      ]),
    );
    const tools = [
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Weather for a city',
            parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING, nullable: true } }, required: ['city'] },
          },
        ],
      },
    ];
    const config = { tools, toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } } };
    const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Weather in Paris?', config });
    const calls = [];
    for await (const part of stream) calls.push(...(part.functionCalls ?? []));
    expect(calls).toEqual([{ id: 'call_late_1', name: 'get_weather', args: { city: 'Paris' } }]);
    expect(upstream.last.body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: ['string', 'null'] } }, required: ['city'] },
        },
      },
    ]);

    upstream.handle((_req, res) => json(res, 200, chatAnswer({ content: 'It is sunny in Paris.' })));
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: calls[0] }] },
        { role: 'user', parts: [{ functionResponse: { id: calls[0].id, name: 'get_weather', response: { output: 'sunny' } } }] },
      ],
      config,
    });
    expect(response.text).toBe('It is sunny in Paris.');
    expect(upstream.last.body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_late_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_late_1', content: 'sunny' },
    ]);
  });

  it('counts tokens in the router, without calling the backend', async () => {
    const before = upstream.requests.length;
    const result = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'The quick brown fox jumps over the lazy dog.' });
    expect(result.totalTokens).toBeGreaterThan(5);
    expect(result.totalTokens).toBeLessThan(40);
    expect(upstream.requests.length).toBe(before);
  });

  it('embeds through the backend /embeddings, vectors in input order', async () => {
    upstream.handle((req, res) =>
      json(res, 200, {
        object: 'list',
        data: [
          { object: 'embedding', index: 1, embedding: [0.3, 0.4] },
          { object: 'embedding', index: 0, embedding: [0.1, 0.2] },
        ],
        model: req.body.model,
        usage: { prompt_tokens: 4, total_tokens: 4 },
      }),
    );
    const result = await ai.models.embedContent({ model: 'gemini-embedding-001', contents: ['first', 'second'], config: { outputDimensionality: 2 } });
    expect(result.embeddings?.map((e) => e.values)).toEqual([
      [0.1, 0.2],
      [0.3, 0.4],
    ]);
    expect(upstream.last.path).toBe('/v1/embeddings');
    expect(upstream.last.body).toMatchObject({ model: 'nomic-embed-text', input: ['first', 'second'], dimensions: 2 });
  });

  it('raises ApiError with Google statuses: wrong key 401, unknown model 404, bad body 400, model not allowed 403', async () => {
    const wrong = new GoogleGenAI({ apiKey: 'not-the-key', httpOptions: { baseUrl: router.url } });
    await expect(wrong.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })).rejects.toMatchObject({ status: 401 });
    const unknown = await ai.models.generateContent({ model: 'nowhere/x', contents: 'hi' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ApiError);
    expect((unknown as ApiError).status).toBe(404);
    expect(JSON.parse((unknown as ApiError).message).error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    const bad = await fetch(`${router.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': ROUTER_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'robot', parts: [] }] }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    const team = new GoogleGenAI({ apiKey: TEAM_KEY, httpOptions: { baseUrl: router.url } });
    await expect(team.models.generateContent({ model: 'gemini-embedding-001', contents: 'hi' })).rejects.toMatchObject({ status: 403 });
  });

  it('raises an ApiError when the backend fails mid-stream', async () => {
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Cut after the first event has left: the router has already started the client's stream.
      res.write(`data: ${JSON.stringify(chunk({ content: 'partial' }))}\n\n`, () => setTimeout(() => res.destroy(), 100));
    });
    const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' });
    const texts: string[] = [];
    const failure = await (async () => {
      for await (const part of stream) if (part.text) texts.push(part.text);
    })().catch((e: unknown) => e);
    expect(texts).toEqual(['partial']);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(502);
  });
});
