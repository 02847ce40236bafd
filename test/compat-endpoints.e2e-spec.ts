import OpenAI from 'openai';
import { answerAllEndpoints } from './compat-upstream';
import { FakeUpstream } from './fake-upstream';
import { auth, backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// /v1/completions (FIM), /v1/embeddings and /v1/responses: routed by the same alias/prefix rules as chat,
// with each backend's key, transforms and unsupported_params, and a clear 404 for an endpoint the chosen
// backend does not declare. Clients are the official openai SDK where users would use it.

describe('completions, embeddings and responses endpoints', () => {
  let chat: FakeUpstream;
  let resp: FakeUpstream;
  let chatOnly: FakeUpstream;
  let router: RunningRouter;
  let client: OpenAI;

  beforeAll(async () => {
    [chat, resp, chatOnly] = await Promise.all([FakeUpstream.start(), FakeUpstream.start(), FakeUpstream.start()]);
    answerAllEndpoints(chat);
    answerAllEndpoints(resp);
    answerAllEndpoints(chatOnly);
    router = await startRouter(
      {
        aliases: { embed: 'chat/nomic-embed-text', smart: ['chat/gpt-5', 'resp/gpt-5'] },
        backends: [
          backend('chat', chat.url, { key_env_var: 'CHAT_KEY', unsupported_params: ['user'], retries: 0 }),
          backend('resp', resp.url, {
            key_env_var: 'RESP_KEY',
            endpoints: ['chat/completions', 'completions', 'embeddings', 'responses'],
            unsupported_params: ['store', 'stream_options'],
            role_rewrites: { developer: 'system' },
            retries: 0,
          }),
          backend('chatonly', chatOnly.url, { endpoints: ['chat/completions'], retries: 0 }),
        ],
      },
      { CHAT_KEY: 'sk-chat', RESP_KEY: 'sk-resp' },
    );
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0, timeout: 20_000 });
  });

  afterAll(async () => {
    await router?.close();
    await Promise.all([chat?.close(), resp?.close(), chatOnly?.close()]);
  });

  const post = (path: string, body: unknown) =>
    fetch(`${router.url}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('streams a fill-in-the-middle completion to the openai SDK, keeping suffix and sending the backend key', async () => {
    const stream = await client.completions.create({
      model: 'chat/qwen2.5-coder:1.5b',
      prompt: 'def fib(n):\n    ',
      suffix: '\n\nprint(fib(10))\n',
      max_tokens: 64,
      stream: true,
    });
    let text = '';
    for await (const part of stream) text += part.choices[0]?.text ?? '';
    expect(text).toBe('if n < 2:\n        return n');
    expect(chat.last.path).toBe('/v1/completions');
    expect(chat.last.headers.authorization).toBe('Bearer sk-chat');
    expect(chat.last.body).toEqual({ model: 'qwen2.5-coder:1.5b', prompt: 'def fib(n):\n    ', suffix: '\n\nprint(fib(10))\n', max_tokens: 64, stream: true });
  });

  it.each(['/completions', '/v1/completions'])('serves a plain completion on %s', async (path) => {
    const res = await post(path, { model: 'resp/davinci-002', prompt: 'Say', suffix: '!' });
    expect(res.status).toBe(200);
    expect((await readJson(res)).choices[0].text).toBe('if n < 2:\n        return n');
    expect(resp.last.path).toBe('/v1/completions');
    expect(resp.last.body).toEqual({ model: 'davinci-002', prompt: 'Say', suffix: '!' });
  });

  it('resolves an alias for embeddings and strips the backend\'s unsupported_params', async () => {
    const result = await client.embeddings.create({ model: 'embed', input: ['a', 'b'], user: 'u-1', encoding_format: 'float' });
    expect(result.data.map((d) => d.embedding)).toEqual([
      [0.125, -0.5, 0.25],
      [0.125, -0.5, 0.25],
    ]);
    expect(chat.last.path).toBe('/v1/embeddings');
    expect(chat.last.body).toEqual({ model: 'nomic-embed-text', input: ['a', 'b'], encoding_format: 'float' });
  });

  it.each(['/embeddings', '/v1/embeddings'])('serves embeddings on %s', async (path) => {
    const res = await post(path, { model: 'resp/text-embedding-3-small', input: 'hello' });
    expect(res.status).toBe(200);
    expect((await readJson(res)).data).toHaveLength(1);
    expect(resp.last.headers.authorization).toBe('Bearer sk-resp');
  });

  it('passes a Responses request unconverted to a backend that declares "responses"', async () => {
    const response = await client.responses.create({
      model: 'resp/gpt-5',
      instructions: 'Be concise.',
      input: [{ role: 'developer', content: 'Use Celsius.' }, { role: 'user', content: 'Weather in Paris?' }],
      store: false,
    });
    expect(response.output_text).toBe('It is 18 °C.');
    expect(resp.last.path).toBe('/v1/responses');
    expect(resp.last.headers.authorization).toBe('Bearer sk-resp');
    // Unconverted: no messages, input items as sent (role rewrites only touch chat messages), store stripped.
    expect(resp.last.body).toEqual({
      model: 'gpt-5',
      instructions: 'Be concise.',
      input: [{ role: 'developer', content: 'Use Celsius.' }, { role: 'user', content: 'Weather in Paris?' }],
    });
  });

  it('streams Responses events to the openai SDK', async () => {
    const stream = await client.responses.create({ model: 'resp/gpt-5', input: 'Weather in Paris?', stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(types).toEqual(['response.created', 'response.output_text.delta', 'response.completed']);
    expect(text).toBe('It is 18 °C.');
  });

  it('serves /responses without the /v1 prefix too', async () => {
    const res = await post('/responses', { model: 'resp/gpt-5', input: 'hi' });
    expect(res.status).toBe(200);
    expect((await readJson(res)).object).toBe('response');
  });

  it.each([
    ['/v1/embeddings', 'chatonly/m', 'chatonly', '/v1/embeddings', () => chatOnly],
    ['/v1/completions', 'chatonly/m', 'chatonly', '/v1/completions', () => chatOnly],
  ])('answers %s for %s with 404 endpoint_not_supported and never contacts the backend', async (path, model, name, endpoint, fake) => {
    const before = fake().requests.length;
    const res = await post(path, { model, input: 'x', prompt: 'x' });
    expect(res.status).toBe(404);
    const body = await readJson(res);
    expect(body.error.code).toBe('endpoint_not_supported');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain(`"${name}"`);
    expect(body.error.message).toContain(endpoint);
    expect(JSON.stringify(body)).not.toContain(fake().url);
    expect(fake().requests.length).toBe(before);
  });

  it('bridges /v1/responses to /chat/completions for backends that do not list "responses"', async () => {
    for (const [path, model, fake] of [['/v1/responses', 'chat/gpt-5', chat], ['/responses', 'chatonly/m', chatOnly]] as const) {
      const res = await post(path, { model, input: 'x' });
      expect(res.status).toBe(200);
      const body = await readJson(res);
      expect(body).toMatchObject({ object: 'response', status: 'completed', model, output: [{ type: 'message', content: [{ type: 'output_text', text: 'Hello world' }] }] });
      expect(fake.last.path).toBe('/v1/chat/completions');
    }
  });

  it('gives the openai SDK a NotFoundError with the endpoint_not_supported code', async () => {
    await expect(client.embeddings.create({ model: 'chatonly/m', input: 'x' })).rejects.toMatchObject({
      status: 404,
      code: 'endpoint_not_supported',
    });
  });

  it('serves an alias from its first target, bridged when that target is chat-only', async () => {
    const before = resp.requests.length;
    const res = await post('/v1/responses', { model: 'smart', input: 'hi' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-llmrouter-backend')).toBe('chat');
    expect((await readJson(res)).model).toBe('smart');
    expect(chat.last.path).toBe('/v1/chat/completions');
    expect(resp.requests.length).toBe(before);
  });

  it('accepts a Responses-shaped chat request from the openai SDK and answers it as chat', async () => {
    const completion = await client.chat.completions.create({
      model: 'chat/llama3.2',
      messages: [],
      input: 'Hello',
      instructions: 'Be brief.',
    } as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming);
    expect(completion.choices[0].message.content).toBe('Hello world');
    expect(chat.last.path).toBe('/v1/chat/completions');
    expect(chat.last.body).toEqual({
      model: 'llama3.2',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
    });
  });

  it('applies role rewrites to messages converted from a Responses-shaped chat body', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'resp/gpt-5',
      input: [{ type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'rules' }] }, { role: 'user', content: 'go' }],
    });
    expect(res.status).toBe(200);
    expect(resp.last.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
  });

  it.each([
    ['/v1/chat/completions', { model: 'chat/m' }, 'missing_messages'],
    ['/v1/chat/completions', { model: 'chat/m', input: 42 }, 'invalid_input'],
    ['/v1/chat/completions', { model: 'chat/m', messages: 'hi' }, 'invalid_messages'],
    ['/v1/completions', { prompt: 'x' }, 'missing_model'],
    ['/v1/embeddings', { model: 7, input: 'x' }, 'invalid_model'],
    ['/v1/responses', { model: '', input: 'x' }, 'missing_model'],
  ])('rejects %s with %j as 400 %s', async (path, body, code) => {
    const res = await post(path, body);
    expect(res.status).toBe(400);
    expect((await readJson(res)).error.code).toBe(code);
  });
});

// Test bodies are read loosely: each assertion says which fields matter.
async function readJson(res: Response): Promise<any> {
  return res.json();
}
