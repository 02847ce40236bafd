import OpenAI from 'openai';
import { FakeUpstream } from './fake-upstream';
import { auth, backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// What reaches the upstream: the stripped model, the backend's own key, the per-backend transforms,
// and everything else exactly as the client sent it.

describe('core: proxying a chat completion', () => {
  let openai: FakeUpstream;
  let ollama: FakeUpstream;
  let groq: FakeUpstream;
  let router: RunningRouter;

  beforeAll(async () => {
    [openai, ollama, groq] = await Promise.all([FakeUpstream.start(), FakeUpstream.start(), FakeUpstream.start()]);
    router = await startRouter(
      {
        aliases: { o1: 'groq/deepseek-r1', 'o3-mini': 'ollama/qwq', fast: 'gpt-4o-mini' },
        backends: [
          backend('openai', openai.url, {
            default: true,
            require_api_key: true,
            key_env_var: 'OPENAI_API_KEY',
            role_rewrites: { developer: 'system' },
            unsupported_params: ['reasoning_effort'],
            unsupported_message_params: ['reasoning_content'],
          }),
          backend('ollama', ollama.url, { role_rewrites: { developer: 'system' } }),
          backend('groq', groq.url, {
            require_api_key: true,
            key_env_var: 'GROQ_API_KEY',
            role_rewrites: { developer: 'system' },
            unsupported_params: ['reasoning_effort', 'store'],
          }),
        ],
      },
      { OPENAI_API_KEY: 'sk-openai-backend-key', GROQ_API_KEY: 'gsk_groq_backend_key' },
    );
  });

  afterAll(async () => {
    await router?.close();
    await Promise.all([openai, ollama, groq].map((f) => f?.close()));
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${router.url}${path}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  const user = [{ role: 'user', content: 'Hello' }];

  it('sends the stripped model and the backend key upstream, never the router key or cookies', async () => {
    const res = await post('/v1/chat/completions', { model: 'groq/llama-3.3-70b', messages: user }, {
      cookie: 'session=abc123',
      'x-api-key': ROUTER_KEY,
      'proxy-authorization': `Bearer ${ROUTER_KEY}`,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).choices[0].message.content).toBe('Hello');
    const seen = groq.last;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.body.model).toBe('llama-3.3-70b');
    expect(seen.headers.authorization).toBe('Bearer gsk_groq_backend_key');
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(JSON.stringify(seen.headers)).not.toContain(ROUTER_KEY);
    expect(seen.rawBody).not.toContain(ROUTER_KEY);
  });

  it('sends no authorization at all to a backend without a key', async () => {
    await post('/v1/chat/completions', { model: 'ollama/phi4', messages: user });
    expect(ollama.last.body.model).toBe('phi4');
    expect(ollama.last.headers.authorization).toBeUndefined();
  });

  it('says where the request went in x-llmrouter-backend and x-llmrouter-model', async () => {
    const res = await post('/v1/chat/completions', { model: 'ollama/library/phi4', messages: user });
    expect(res.headers.get('x-llmrouter-backend')).toBe('ollama');
    expect(res.headers.get('x-llmrouter-model')).toBe('library/phi4');
    expect(ollama.last.body.model).toBe('library/phi4');
  });

  it.each([
    ['o1', 'groq', 'deepseek-r1'],
    ['o3-mini', 'ollama', 'qwq'],
    ['fast', 'openai', 'gpt-4o-mini'],
  ])('resolves the alias %s before routing (to %s as %s)', async (model, name, upstreamModel) => {
    const upstream = { openai, ollama, groq }[name] as FakeUpstream;
    const before = upstream.requests.length;
    const res = await post('/v1/chat/completions', { model, messages: user });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-llmrouter-backend')).toBe(name);
    expect(upstream.requests.length).toBe(before + 1);
    expect(upstream.last.body.model).toBe(upstreamModel);
  });

  it.each([['gpt-4o-mini'], ['mistral/large-latest']])(
    'sends a model without a known prefix (%s) to the default backend unchanged, with its key',
    async (model) => {
      const res = await post('/v1/chat/completions', { model, messages: user });
      expect(res.headers.get('x-llmrouter-backend')).toBe('openai');
      expect(openai.last.body.model).toBe(model);
      expect(openai.last.headers.authorization).toBe('Bearer sk-openai-backend-key');
    },
  );

  it('applies role rewrites and parameter stripping on the default backend too', async () => {
    await post('/v1/chat/completions', {
      model: 'gpt-4o',
      reasoning_effort: 'high',
      store: true,
      messages: [
        { role: 'developer', content: 'Be brief' },
        { role: 'assistant', content: 'ok', reasoning_content: 'hmm' },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(openai.last.body).toEqual({
      model: 'gpt-4o',
      store: true,
      messages: [
        { role: 'system', content: 'Be brief' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'Hi' },
      ],
    });
  });

  it('applies each backend’s own transforms and only those', async () => {
    const body = {
      reasoning_effort: 'low',
      store: false,
      messages: [{ role: 'developer', content: 'x' }, { role: 'user', content: 'y' }],
    };
    await post('/v1/chat/completions', { model: 'groq/m', ...body });
    expect(groq.last.body).toEqual({ model: 'm', messages: [{ role: 'system', content: 'x' }, { role: 'user', content: 'y' }] });
    await post('/v1/chat/completions', { model: 'ollama/m', ...body });
    expect(ollama.last.body).toEqual({ model: 'm', reasoning_effort: 'low', store: false, messages: [{ role: 'system', content: 'x' }, { role: 'user', content: 'y' }] });
  });

  it('passes every other field through unchanged: tools, response_format, unknown fields, any Unicode', async () => {
    const body = {
      model: 'ollama/llama3.2',
      messages: [
        { role: 'system', content: 'Answer in the user’s language.' },
        { role: 'user', content: 'مرحبا بالعالم — שלום עולם — 你好 — 🦙🚀👩🏽‍💻 — e\u0301 — \u202eRTL override\u202c' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Zürich"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21.5}' },
        { role: 'user', content: [{ type: 'text', text: 'and now?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      tool_choice: 'auto',
      response_format: { type: 'json_schema', json_schema: { name: 'w', strict: true, schema: { type: 'object' } } },
      metadata: { team: 'a' },
      temperature: 0.2,
      top_p: 1,
      max_tokens: 1e3,
      seed: 9007199254740991,
      stop: ['\n\n'],
      logit_bias: { '50256': -100 },
      user: 'u-1',
      some_future_field: { nested: [1, 'two', { three: 3 }], empty: {}, nothing: null },
    };
    const res = await post('/v1/chat/completions', body);
    expect(res.status).toBe(200);
    expect(ollama.last.body).toEqual({ ...body, model: 'llama3.2' });
    // Raw UTF-8 in and out: no \u escaping or re-encoding of the content on the way.
    expect(ollama.last.rawBody).toContain('🦙🚀👩🏽‍💻');
    expect(ollama.last.rawBody).toContain('שלום עולם');
    expect(ollama.last.headers['content-type']).toMatch(/^application\/json/);
  });

  it('reuses the upstream connection across requests (keep-alive)', async () => {
    const ports: number[] = [];
    ollama.handle((req, res, raw) => {
      ports.push(raw.socket.remotePort ?? -1);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
    try {
      for (let i = 0; i < 3; i++) expect((await post('/v1/chat/completions', { model: 'ollama/phi4', messages: user })).status).toBe(200);
    } finally {
      ollama.handle(undefined);
    }
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(1);
  });

  it('serves /chat/completions without /v1 too', async () => {
    const res = await post('/chat/completions', { model: 'ollama/phi4', messages: user });
    expect(res.status).toBe(200);
    expect(ollama.last.path).toBe('/v1/chat/completions');
  });

  it('relays the upstream JSON body byte for byte with its content type and request id', async () => {
    const raw = '{"id":"x",  "object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"🙂 ok"}}],"extra":1.50}';
    ollama.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'up-123' });
      res.end(raw);
    });
    try {
      const res = await post('/v1/chat/completions', { model: 'ollama/phi4', messages: user });
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('x-upstream-request-id')).toBe('up-123');
      expect(await res.text()).toBe(raw);
    } finally {
      ollama.handle(undefined);
    }
  });

  it('works with the official openai SDK, without and with streaming', async () => {
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'ollama/llama3.2',
      messages: [{ role: 'developer', content: 'Be brief' }, { role: 'user', content: 'Hi' }],
    });
    expect(completion.choices[0].message.content).toBe('Hello');
    expect(ollama.last.body.messages[0].role).toBe('system');
    expect(ollama.last.headers.authorization).toBeUndefined();

    const stream = await client.chat.completions.create({
      model: 'groq/llama-3.3-70b',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    for await (const part of stream) text += part.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hello');
    expect(groq.last.body).toMatchObject({ model: 'llama-3.3-70b', stream: true });
  });

  it('answers 404 model_not_found listing the prefixes when nothing serves the model', async () => {
    const noDefault = await startRouter({ backends: [backend('groq', groq.url)] });
    try {
      const before = groq.requests.length;
      const res = await fetch(`${noDefault.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama3.2', messages: user }),
      });
      expect(res.status).toBe(404);
      const body = (await res.json()) as any;
      expect(body.error).toMatchObject({ code: 'model_not_found', type: 'invalid_request_error' });
      expect(body.error.message).toContain('"groq/"');
      expect(groq.requests.length).toBe(before);
    } finally {
      await noDefault.close();
    }
  });
});
