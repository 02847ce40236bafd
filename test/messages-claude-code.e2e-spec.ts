import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { FakeUpstream, json, sse } from './fake-upstream';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// A recorded Claude Code turn replayed end to end, the faults a long agent session meets (a backend
// dying mid-stream, a length stop, a slow start, a backend down), and a backend that speaks the Messages
// API itself, which gets the request untouched with its own key.

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'anthropic', 'claude-code-tool-result-turn.json'), 'utf8')) as {
  path: string;
  headers: Record<string, string>;
  body: Record<string, any>;
};

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });
const usageChunk = (prompt: number, completion: number) => ({ id: 'c1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } });

function events(text: string): { event: string; data: any }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? '';
      const data = lines.find((l) => l.startsWith('data: '));
      return { event, data: data ? JSON.parse(data.slice(6)) : undefined };
    });
}

describe('messages: Claude Code, faults and native Messages backends', () => {
  let chat: FakeUpstream;
  let down: FakeUpstream;
  let slow: FakeUpstream;
  let anthropic: FakeUpstream;
  let router: RunningRouter;
  let client: Anthropic;

  beforeAll(async () => {
    [chat, down, slow, anthropic] = await Promise.all([FakeUpstream.start(), FakeUpstream.start(), FakeUpstream.start(), FakeUpstream.start()]);
    down.handle((req, res) => json(res, 503, { error: { message: 'overloaded' } }));
    router = await startRouter(
      {
        aliases: {
          'claude-sonnet-4-5-20250929': 'chat/qwen3-coder:30b',
          'claude-sonnet-4-6': 'chat/qwen3-coder:30b',
          'claude-opus-4-1': ['down/big', 'chat/fallback-model'],
          'claude-slow': 'slow/qwen3:4b',
        },
        backends: [
          backend('chat', chat.url, { key_env_var: 'CHAT_KEY', retries: 0 }),
          backend('down', down.url, { retries: 0 }),
          backend('slow', slow.url, { keepalive_ms: 40 }),
          backend('anthropic', anthropic.url, { endpoints: ['messages'], key_env_var: 'ANTHROPIC_BACKEND_KEY', require_api_key: true }),
        ],
      },
      { CHAT_KEY: 'chat_backend_key', ANTHROPIC_BACKEND_KEY: 'sk-ant-backend-own-key' },
    );
    client = new Anthropic({ baseURL: router.url, apiKey: 'unused', defaultHeaders: { 'X-Api-Key': ROUTER_KEY, Authorization: null }, maxRetries: 0 });
  });

  afterAll(async () => {
    await router?.close();
    await Promise.all([chat, down, slow, anthropic].map((f) => f?.close()));
  });

  beforeEach(() => chat.handle(undefined));

  it('replays a recorded Claude Code turn: converted for the chat backend, answered as an Anthropic stream', async () => {
    chat.handle((req, res) =>
      sse(res, [
        chunk({ role: 'assistant', reasoning_content: 'The discount parameter is never used.' }),
        chunk({ content: 'The `discount` argument is ignored. ' }),
        chunk({ content: 'I will apply it.' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_edit_1', type: 'function', function: { name: 'Edit', arguments: '{"file_path":"/home/dev/shop/src/cart.ts",' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"old_string":"return items","new_string":"return (1 - discount) * items"}' } }] }),
        chunk({}, 'tool_calls'),
        usageChunk(4200, 85),
      ]),
    );
    const res = await fetch(`${router.url}${fixture.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...fixture.headers, 'x-api-key': ROUTER_KEY },
      body: JSON.stringify(fixture.body),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const list = events(await res.text());
    expect(list.map((e) => (e.event === 'content_block_start' ? `start:${e.data.content_block.type}` : e.event))).toEqual([
      'message_start',
      'start:thinking',
      'content_block_delta',
      'content_block_stop',
      'start:text',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'start:tool_use',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(list.map((e) => e.data?.index).filter((i) => i !== undefined)).toEqual([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(list[0].data.message.model).toBe('claude-sonnet-4-5-20250929');
    expect(list[8].data.content_block).toEqual({ type: 'tool_use', id: 'call_edit_1', name: 'Edit', input: {} });
    const input = list.filter((e) => e.data?.delta?.type === 'input_json_delta').map((e) => e.data.delta.partial_json).join('');
    expect(JSON.parse(input)).toEqual({ file_path: '/home/dev/shop/src/cart.ts', old_string: 'return items', new_string: 'return (1 - discount) * items' });
    expect(list[12].data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 4200, output_tokens: 85, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });

    const sent = chat.last;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body.model).toBe('qwen3-coder:30b');
    expect(sent.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(sent.body.messages[0].content).toMatch(/^You are Claude Code, Anthropic's official CLI for Claude\.\n\n\nYou are an interactive CLI tool/);
    expect(sent.body.messages[2]).toEqual({
      role: 'assistant',
      content: "I'll read the cart module.",
      tool_calls: [{ id: 'toolu_01A9fQk3LrVx7bTz2Jm8cWdE', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/home/dev/shop/src/cart.ts"}' } }],
    });
    expect(sent.body.messages[3]).toEqual({ role: 'tool', tool_call_id: 'toolu_01A9fQk3LrVx7bTz2Jm8cWdE', content: fixture.body.messages[2].content[0].content });
    expect(sent.body.tools).toHaveLength(fixture.body.tools.length);
    expect(sent.body.tools[5]).toEqual({ type: 'function', function: { name: 'Read', description: fixture.body.tools[5].description, parameters: fixture.body.tools[5].input_schema } });
    expect(sent.body).toMatchObject({ max_tokens: 32000, temperature: 1, reasoning_effort: 'high', user: fixture.body.metadata.user_id, stream: true, stream_options: { include_usage: true } });
    expect(sent.rawBody).not.toContain('cache_control');
    expect(sent.rawBody).not.toContain('The user wants me to inspect'); // thinking in the history is dropped
    expect(sent.headers.authorization).toBe('Bearer chat_backend_key');
    expect(Object.keys(sent.headers).filter((h) => h.startsWith('anthropic') || h === 'x-api-key')).toEqual([]);
    expect(sent.rawBody + JSON.stringify(sent.headers)).not.toContain(ROUTER_KEY);

    // Usage is recorded when the response has closed: poll briefly for it.
    let rows: { model: string; total_tokens: number }[] = [];
    for (let i = 0; i < 50 && !rows.some((r) => r.model === 'claude-sonnet-4-5-20250929'); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 20));
      const usage = (await (await fetch(`${router.url}/v1/usage`, { headers: { Authorization: `Bearer ${ROUTER_KEY}` } })).json()) as {
        windows: { data: { model: string; total_tokens: number }[] }[];
      };
      rows = usage.windows[0].data;
    }
    expect(rows).toContainEqual(expect.objectContaining({ model: 'claude-sonnet-4-5-20250929', total_tokens: 4285 }));
  });

  it('ends a stream the backend drops midway with an error event the SDK raises', async () => {
    chat.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk({ content: 'Partial answ' }))}\n\n`);
      setTimeout(() => res.destroy(), 20);
    });
    const stream = client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'go' }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(texts.join('')).toBe('Partial answ');
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: 'error',
      error: { type: 'api_error', message: expect.stringContaining('dropped the connection') },
    });
  });

  it.each([
    ['streamed', true],
    ['not streamed', false],
  ])('reports a length stop as max_tokens (%s)', async (_what, stream) => {
    chat.handle((req, res) =>
      req.body.stream
        ? sse(res, [chunk({ content: 'one two' }), chunk({}, 'length')])
        : json(res, 200, { id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'one two' }, finish_reason: 'length' }] }),
    );
    const params = { model: 'claude-sonnet-4-6', max_tokens: 2, messages: [{ role: 'user' as const, content: 'count' }] };
    const message = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.content).toMatchObject([{ type: 'text', text: 'one two' }]);
  });

  it('sends ping events while a backend is slow to start, and the SDK reads past them', async () => {
    slow.handle(async (req, res) => {
      await new Promise((r) => setTimeout(r, 200));
      await sse(res, [chunk({ content: 'late hello' }), chunk({}, 'stop')]);
    });
    const res = await fetch(`${router.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ROUTER_KEY },
      body: JSON.stringify({ model: 'claude-slow', max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const list = events(await res.text());
    const firstStart = list.findIndex((e) => e.event === 'message_start');
    expect(firstStart).toBeGreaterThan(0);
    expect(list.slice(0, firstStart).every((e) => e.event === 'ping' && e.data.type === 'ping')).toBe(true);
    expect(list.filter((e) => e.event === 'message_start')).toHaveLength(1);

    const final = await client.messages.stream({ model: 'claude-slow', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(final.content).toMatchObject([{ type: 'text', text: 'late hello' }]);
  });

  it('passes a backend rate limit on as rate_limit_error, keeping retry-after', async () => {
    chat.handle((req, res) => json(res, 429, { error: { message: 'slow down' } }, { 'retry-after': '7' }));
    const error = (await client.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.RateLimitError>;
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.error).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining('slow down') } });
    expect(error.headers?.get('retry-after')).toBe('7');
  });

  it('stops the backend request when the client goes away mid-stream', async () => {
    let sentFirst!: () => void;
    const firstSent = new Promise<void>((resolve) => (sentFirst = resolve));
    chat.handle(async (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk({ content: 'tick ' }))}\n\n`);
      sentFirst();
      for (let i = 0; i < 100 && !res.destroyed; i++) {
        await new Promise((r) => setTimeout(r, 20));
        res.write(`data: ${JSON.stringify(chunk({ content: 'tick ' }))}\n\n`);
      }
      res.end();
    });
    const aborted = chat.aborted.length;
    const stream = client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 500, messages: [{ role: 'user', content: 'count forever' }] });
    const ended = stream.finalMessage().catch((e: unknown) => e);
    await firstSent;
    await new Promise((r) => setTimeout(r, 50));
    stream.abort();
    expect(await ended).toBeInstanceOf(Anthropic.APIUserAbortError);
    for (let i = 0; i < 100 && chat.aborted.length === aborted; i++) await new Promise((r) => setTimeout(r, 20));
    expect(chat.aborted.length).toBe(aborted + 1);
  });

  it('falls back to the next target of an alias when a backend is down', async () => {
    chat.handle((req, res) => json(res, 200, { id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'from fallback' }, finish_reason: 'stop' }] }));
    const message = await client.messages.create({ model: 'claude-opus-4-1', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(message).toMatchObject({ model: 'claude-opus-4-1', content: [{ type: 'text', text: 'from fallback' }] });
    expect(down.last.body.model).toBe('big');
    expect(chat.last.body.model).toBe('fallback-model');
  });

  describe('a backend that serves the Messages API itself', () => {
    const anthropicAnswer = {
      id: 'msg_native_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: 'native hello' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 3 },
    };

    it('gets the request untouched, with its own key as x-api-key and never the router key', async () => {
      anthropic.handle((req, res) => json(res, 200, anthropicAnswer));
      const body = { ...fixture.body, model: 'anthropic/claude-sonnet-4-6', stream: false };
      const res = await fetch(`${router.url}${fixture.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...fixture.headers, 'x-api-key': ROUTER_KEY },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(anthropicAnswer);
      const sent = anthropic.last;
      expect(sent.path).toBe('/v1/messages');
      expect(sent.body).toEqual({ ...body, model: 'claude-sonnet-4-6' });
      expect(sent.headers['x-api-key']).toBe('sk-ant-backend-own-key');
      expect(sent.headers.authorization).toBeUndefined();
      expect(sent.headers['anthropic-version']).toBe('2023-06-01');
      expect(sent.headers['anthropic-beta']).toBe(fixture.headers['anthropic-beta']);
      expect(sent.rawBody + JSON.stringify(sent.headers)).not.toContain(ROUTER_KEY);
    });

    it('judges requests itself: content the chat conversion cannot take still reaches it', async () => {
      anthropic.handle((req, res) => json(res, 200, anthropicAnswer));
      const fileImage = { type: 'image', source: { type: 'file', file_id: 'file_011CNha8iCJcU1wXNR6q4V8w' } };
      const res = await fetch(`${router.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': ROUTER_KEY, 'anthropic-beta': 'files-api-2025-04-14' },
        body: JSON.stringify({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: [fileImage] }] }),
      });
      expect(res.status).toBe(200);
      expect(anthropic.last.body.messages[0].content).toEqual([fileImage]);
      expect(anthropic.last.headers['anthropic-version']).toBe('2023-06-01');

      const viaChat = await fetch(`${router.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': ROUTER_KEY },
        body: JSON.stringify({ model: 'claude-sonnet-4-5-20250929', max_tokens: 10, messages: [{ role: 'user', content: [fileImage] }] }),
      });
      expect(viaChat.status).toBe(400);
      expect(await viaChat.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('source') } });
    });

    it('relays its event stream as it is, without an error event at the end', async () => {
      anthropic.handle((req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        send('message_start', { type: 'message_start', message: { ...anthropicAnswer, content: [], stop_reason: null, usage: { input_tokens: 12, output_tokens: 1 } } });
        send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
        send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'native stream' } });
        send('content_block_stop', { type: 'content_block_stop', index: 0 });
        send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } });
        send('message_stop', { type: 'message_stop' });
        res.end();
      });
      const final = await client.messages.stream({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
      expect(final).toMatchObject({ id: 'msg_native_1', content: [{ type: 'text', text: 'native stream' }], stop_reason: 'end_turn', usage: { input_tokens: 12, output_tokens: 3 } });
      expect(anthropic.last.headers['x-api-key']).toBe('sk-ant-backend-own-key');
    });
  });
});
