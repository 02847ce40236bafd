import Anthropic from '@anthropic-ai/sdk';
import { chunk } from './chat-chunks';
import { FakeUpstream, json, sse } from './fake-upstream';
import { anthropicEvents as events } from './messages-sse';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// The faults a long agent session meets, seen through the Anthropic SDK: a backend dying mid-stream, a
// length stop, a slow start, a rate limit, a backend down, and a client that leaves.

describe('messages: faults', () => {
  let chat: FakeUpstream;
  let down: FakeUpstream;
  let slow: FakeUpstream;
  let router: RunningRouter;
  let client: Anthropic;

  beforeAll(async () => {
    [chat, down, slow] = await Promise.all([FakeUpstream.start(), FakeUpstream.start(), FakeUpstream.start()]);
    down.handle((_req, res) => json(res, 503, { error: { message: 'overloaded' } }));
    router = await startRouter({
      aliases: {
        'claude-sonnet-4-6': 'chat/qwen3-coder:30b',
        'claude-opus-4-1': ['down/big', 'chat/fallback-model'],
        'claude-slow': 'slow/qwen3:4b',
      },
      backends: [backend('chat', chat.url, { retries: 0 }), backend('down', down.url, { retries: 0 }), backend('slow', slow.url, { keepalive_ms: 40 })],
    });
    client = new Anthropic({ baseURL: router.url, apiKey: 'unused', defaultHeaders: { 'X-Api-Key': ROUTER_KEY, Authorization: null }, maxRetries: 0 });
  });

  afterAll(async () => {
    await router?.close();
    await Promise.all([chat, down, slow].map((f) => f?.close()));
  });

  beforeEach(() => chat.handle(undefined));

  it('ends a stream the backend drops midway with an error event the SDK raises', async () => {
    chat.handle((_req, res) => {
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
    slow.handle(async (_req, res) => {
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
    chat.handle((_req, res) => json(res, 429, { error: { message: 'slow down' } }, { 'retry-after': '7' }));
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
    chat.handle(async (_req, res) => {
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
    chat.handle((_req, res) => json(res, 200, { id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'from fallback' }, finish_reason: 'stop' }] }));
    const message = await client.messages.create({ model: 'claude-opus-4-1', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(message).toMatchObject({ model: 'claude-opus-4-1', content: [{ type: 'text', text: 'from fallback' }] });
    expect(down.last.body.model).toBe('big');
    expect(chat.last.body.model).toBe('fallback-model');
  });
});
