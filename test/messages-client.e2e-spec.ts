import Anthropic from '@anthropic-ai/sdk';
import { chatAnswer, chunk, usageChunk } from './chat-chunks';
import { FakeUpstream, json, sse } from './fake-upstream';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// The official Anthropic SDK against the router, in front of a chat-only fake upstream: every answer is
// converted from Chat Completions, every request to it. Errors arrive in the Anthropic dialect.

const TEAM_KEY = 'team_key_for_messages_tests_01';
const LIMITED_KEY = 'limited_key_for_messages_tests_02';
const COUNTING_KEY = 'counting_key_for_messages_tests_03';

describe('messages: the Anthropic SDK through the router to a chat-only backend', () => {
  let upstream: FakeUpstream;
  let router: RunningRouter;
  let client: Anthropic;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    router = await startRouter(
      {
        aliases: { 'claude-sonnet-4-6': 'chat/qwen3-coder:30b', 'claude-haiku-4-5': 'chat/qwen3:4b' },
        backends: [backend('chat', upstream.url, { key_env_var: 'CHAT_BACKEND_KEY' })],
        api_keys: [
          { name: 'team', key_env: 'TEAM_KEY', allowed_models: ['claude-haiku-*'] },
          { name: 'limited', key_env: 'LIMITED_KEY', rate_limit: { requests_per_minute: 1 } },
          { name: 'counting', key_env: 'COUNTING_KEY', allowed_models: ['claude-haiku-*'], rate_limit: { requests_per_minute: 2 } },
        ],
      },
      { CHAT_BACKEND_KEY: 'backend_secret_key', TEAM_KEY, LIMITED_KEY, COUNTING_KEY },
    );
    client = new Anthropic({ baseURL: router.url, apiKey: ROUTER_KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    await router?.close();
    await upstream?.close();
  });

  beforeEach(() => upstream.handle(undefined));

  it('answers messages.create with a Message under the model name the client used', async () => {
    upstream.handle((_req, res) => json(res, 200, chatAnswer({ content: 'Hello from qwen' })));
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: 'Hello from qwen' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 11, output_tokens: 3 },
    });
    expect(message.id).toMatch(/^msg_/);
    const sent = upstream.last;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toEqual({
      model: 'qwen3-coder:30b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
      max_tokens: 256,
    });
    expect(sent.headers.authorization).toBe('Bearer backend_secret_key');
    expect(sent.rawBody + JSON.stringify(sent.headers)).not.toContain(ROUTER_KEY);
  });

  it('streams text with messages.stream() and assembles the final message', async () => {
    upstream.handle((_req, res) =>
      sse(res, [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hel' }), chunk({ content: 'lo!' }), chunk({}, 'stop'), usageChunk(9, 2)]),
    );
    const stream = client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] });
    const texts: string[] = [];
    const types: string[] = [];
    stream.on('text', (t) => texts.push(t));
    stream.on('streamEvent', (e) => types.push(e.type));
    const final = await stream.finalMessage();
    expect(texts.join('')).toBe('Hello!');
    expect(final).toMatchObject({ model: 'claude-sonnet-4-6', content: [{ type: 'text', text: 'Hello!' }], stop_reason: 'end_turn', usage: { input_tokens: 9, output_tokens: 2 } });
    expect(types).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(upstream.last.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('streams a tool call and carries its result back as a tool message with the same id', async () => {
    upstream.handle((_req, res) =>
      sse(res, [
        chunk({ role: 'assistant', content: 'Let me check.' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        chunk({}, 'tool_calls'),
        usageChunk(40, 12),
      ]),
    );
    const tools: Anthropic.Tool[] = [
      { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    ];
    const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris?' };
    const first = await client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 200, tools, messages: [question] }).finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_w1', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    expect(upstream.last.body.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: tools[0].input_schema } },
    ]);

    upstream.handle((_req, res) => json(res, 200, chatAnswer({ content: 'Sunny, 21°C.' })));
    const second = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 200,
      tools,
      messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_w1', content: '21°C, sunny' }] }],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'Sunny, 21°C.', citations: null }]);
    expect(upstream.last.body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: 'Let me check.', tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_w1', content: '21°C, sunny' },
    ]);
  });

  it('answers a non-streamed tool call with tool_use blocks, input parsed', async () => {
    upstream.handle((_req, res) =>
      json(res, 200, chatAnswer({ content: null, tool_calls: [{ id: 'call_r', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/a.ts"}' } }] }, 'tool_calls')),
    );
    const message = await client.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      tools: [{ name: 'Read', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [{ role: 'user', content: 'read /a.ts' }],
    });
    expect(message.content).toEqual([{ type: 'tool_use', id: 'call_r', name: 'Read', input: { file_path: '/a.ts' } }]);
    expect(message.stop_reason).toBe('tool_use');
    expect(upstream.last.body).toMatchObject({ tool_choice: 'required', parallel_tool_calls: false });
  });

  it('counts tokens locally, without calling a backend', async () => {
    const before = upstream.requests.length;
    const small = await client.messages.countTokens({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi' }] });
    const large = await client.messages.countTokens({
      model: 'claude-sonnet-4-6',
      system: 'You are a helpful assistant that answers questions about the weather.',
      tools: [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'What is the weather like in Paris today, and should I take an umbrella?' }],
    });
    expect(small.input_tokens).toBeGreaterThan(0);
    expect(large.input_tokens).toBeGreaterThan(small.input_tokens + 20);
    expect(upstream.requests.length).toBe(before);
  });

  it('counts 1 MB without a break (a pasted base64 file) while the router goes on answering others', async () => {
    // Base64 of zeros is one run of "A": the tokenizer took seconds per 100 KB of it, the router stood still.
    const file = Buffer.alloc(768 * 1024).toString('base64');
    const counted = client.messages.countTokens({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: [{ type: 'text', text: file }] }] });
    const [count, live] = await Promise.all([counted, fetch(`${router.url}/health/live`)]);
    expect(live.status).toBe(200);
    // About one token per 8 characters of "A", as the tokenizer counts such a run.
    expect(count.input_tokens).toBeGreaterThan(file.length / 16);
    expect(count.input_tokens).toBeLessThan(file.length / 4);
  });

  describe('keys', () => {
    const ask = (c: Anthropic, model = 'claude-haiku-4-5') => c.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });

    it('accepts the router key as x-api-key, as Claude Code sends ANTHROPIC_API_KEY', async () => {
      const viaHeader = new Anthropic({ baseURL: router.url, apiKey: 'unused', defaultHeaders: { 'X-Api-Key': ROUTER_KEY, Authorization: null }, maxRetries: 0 });
      await expect(ask(viaHeader)).resolves.toMatchObject({ type: 'message' });
      expect(upstream.last.headers['x-api-key']).toBeUndefined();
      expect(upstream.last.headers.authorization).toBe('Bearer backend_secret_key');
    });

    it('accepts the router key as a Bearer token, as Claude Code sends ANTHROPIC_AUTH_TOKEN', async () => {
      const viaToken = new Anthropic({ baseURL: router.url, authToken: ROUTER_KEY, maxRetries: 0 });
      await expect(ask(viaToken)).resolves.toMatchObject({ type: 'message' });
    });

    it.each([
      ['a wrong x-api-key', { defaultHeaders: { 'X-Api-Key': 'wrong-key', Authorization: null } }],
      ['a wrong Bearer token', { authToken: 'wrong-key' }],
    ])('answers %s with 401 authentication_error', async (_what, options) => {
      const wrong = new Anthropic({ baseURL: router.url, apiKey: null, maxRetries: 0, ...options });
      const error = await ask(wrong).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
      expect((error as InstanceType<typeof Anthropic.AuthenticationError>).error).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.stringContaining('Incorrect API key') } });
    });

    it('applies team allow-lists to the model as the client named it', async () => {
      const team = new Anthropic({ baseURL: router.url, authToken: TEAM_KEY, maxRetries: 0 });
      await expect(ask(team, 'claude-haiku-4-5')).resolves.toMatchObject({ model: 'claude-haiku-4-5' });
      const error = await ask(team, 'claude-sonnet-4-6').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
      expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    });

    it('applies the allow-list and rate limits to count_tokens as to messages', async () => {
      const counting = new Anthropic({ baseURL: router.url, authToken: COUNTING_KEY, maxRetries: 0 });
      const count = (model: string) => counting.messages.countTokens({ model, messages: [{ role: 'user', content: 'hi' }] });
      const refused = await count('claude-sonnet-4-6').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Anthropic.PermissionDeniedError);
      expect((refused as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
      await count('claude-haiku-4-5');
      await count('claude-haiku-4-5');
      const limited = (await count('claude-haiku-4-5').catch((e: unknown) => e)) as InstanceType<typeof Anthropic.RateLimitError>;
      expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
      expect(limited.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    });

    it('applies rate limits, keeping retry-after', async () => {
      const limited = new Anthropic({ baseURL: router.url, authToken: LIMITED_KEY, maxRetries: 0 });
      await ask(limited);
      const error = (await ask(limited).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.RateLimitError>;
      expect(error).toBeInstanceOf(Anthropic.RateLimitError);
      expect(error.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
      expect(Number(error.headers?.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  describe('errors in the Anthropic dialect', () => {
    const post = (path: string, body: string, headers: Record<string, string> = { 'x-api-key': ROUTER_KEY }) =>
      fetch(`${router.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    it.each([
      ['no key', '/v1/messages', JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [] }), {}, 401, 'authentication_error', 'x-api-key'],
      ['a body that is not JSON', '/v1/messages', '{"model":', undefined, 400, 'invalid_request_error', 'not valid JSON'],
      ['no max_tokens', '/v1/messages', JSON.stringify({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }] }), undefined, 400, 'invalid_request_error', 'max_tokens'],
      ['a bad content block', '/messages', JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'image' }] }] }), undefined, 400, 'invalid_request_error', 'source'],
      ['a model no backend serves', '/v1/messages', JSON.stringify({ model: 'unknown-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), undefined, 404, 'not_found_error', 'unknown-model'],
      ['count_tokens without messages', '/v1/messages/count_tokens', JSON.stringify({ model: 'm' }), undefined, 400, 'invalid_request_error', 'messages'],
      ['an unknown Messages path', '/v1/messages/batches', '{}', undefined, 404, 'not_found_error', 'Unknown path'],
    ])('answers %s', async (_what, path, body, headers, status, type, message) => {
      const res = await post(path, body, headers);
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({ type: 'error', error: { type, message: expect.stringContaining(message) } });
      expect(upstream.requests.every((r) => !r.rawBody.includes('unknown-model'))).toBe(true);
    });

    it('wraps a backend error before the first byte, keeping its status', async () => {
      upstream.handle((_req, res) => json(res, 400, { error: { message: 'context length exceeded', type: 'invalid_request_error' } }));
      const error = (await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      expect(error.error).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('context length exceeded') } });
    });

    it('leaves the OpenAI side as it was: OpenAI-shaped errors, and no x-api-key there', async () => {
      const res = await post('/v1/chat/completions', JSON.stringify({ model: 'chat/x', messages: [{ role: 'user', content: 'x' }] }));
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: expect.objectContaining({ type: 'authentication_error', code: 'missing_api_key' }) });
    });
  });
});
