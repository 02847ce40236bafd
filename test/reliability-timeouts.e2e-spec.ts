import OpenAI from 'openai';
import { chunk, FakeUpstream, json, sse } from './fake-upstream';
import { backend, ROUTER_KEY, startRouter, type RunningRouter } from './router-harness';
import { chatBody, openAIError, post, sleep, sseData, startBlackhole, waitFor } from './reliability-support';

// Timeouts and slow starts, against real servers on 127.0.0.1: what the client sees and that the
// upstream request is not left running.

describe('timeouts', () => {
  let fake: FakeUpstream;
  let blackhole: Awaited<ReturnType<typeof startBlackhole>>;
  let router: RunningRouter;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    blackhole = await startBlackhole();
    router = await startRouter({
      backend_defaults: { retries: 0, circuit_failures: 1000 },
      backends: [
        backend('hole', blackhole.url, { connect_timeout_ms: 300 }),
        backend('slow', fake.url, { timeout_ms: 300, keepalive_ms: 60_000 }),
        backend('idle', fake.url, { stream_idle_timeout_ms: 300, keepalive_ms: 60_000 }),
      ],
    });
  });
  afterAll(async () => {
    await router.close();
    await fake.close();
    blackhole.close();
  });
  beforeEach(() => fake.handle(undefined));

  it('answers 502 backend_unreachable when the backend does not accept the connection in connect_timeout_ms', async () => {
    const res = await post(router.url, chatBody('hole/m'));
    expect(res.status).toBe(502);
    const error = openAIError(res.text);
    expect(error.code).toBe('backend_unreachable');
    expect(error.message).toContain('"hole"');
    expect(error.message).not.toContain('127.0.0.1');
  });

  it('answers 504 backend_timeout when headers do not come within timeout_ms, and aborts the upstream request', async () => {
    fake.handle(() => undefined); // never answers
    const before = fake.aborted.length;
    const res = await post(router.url, chatBody('slow/m'));
    expect(res.status).toBe(504);
    expect(openAIError(res.text).code).toBe('backend_timeout');
    await waitFor(() => fake.aborted.length === before + 1, 'the upstream request to be closed');
  });

  it('ends a stream that goes silent for stream_idle_timeout_ms with a final error event, no [DONE], and aborts upstream', async () => {
    fake.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk('m', 'partial'))}\n\n`); // then silence
    });
    const before = fake.aborted.length;
    const res = await post(router.url, chatBody('idle/m', true));
    expect(res.status).toBe(200);
    const events = sseData(res.text);
    expect(events[0]).toContain('partial');
    expect(events).not.toContain('[DONE]');
    const last = JSON.parse(events[events.length - 1]) as { error: { code: string; message: string } };
    expect(last.error.code).toBe('stream_idle_timeout');
    await waitFor(() => fake.aborted.length === before + 1, 'the upstream stream to be closed');
  });
});

describe('keep-alive for slow stream starts', () => {
  let fake: FakeUpstream;
  let router: RunningRouter;
  let client: OpenAI;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    router = await startRouter({
      backend_defaults: { retries: 0, keepalive_ms: 100 },
      backends: [backend('tunnel', fake.url), backend('stuck', fake.url, { timeout_ms: 400 })],
    });
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await router.close();
    await fake.close();
  });

  it('commits to 200 text/event-stream with ": keep-alive" comments, then relays the data', async () => {
    fake.handle(async (req, res) => {
      await sleep(450);
      await sse(res, [chunk('m', 'late '), chunk('m', 'answer')]);
    });
    const res = await post(router.url, chatBody('tunnel/m', true));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const comments = res.text.split('\n').filter((l) => l === ': keep-alive');
    expect(comments.length).toBeGreaterThanOrEqual(2);
    expect(res.text.indexOf(': keep-alive')).toBeLessThan(res.text.indexOf('data:'));
    expect(sseData(res.text)).toEqual([expect.stringContaining('late '), expect.stringContaining('answer'), '[DONE]']);
  });

  it('lets the official openai SDK read such a stream normally', async () => {
    fake.handle(async (req, res) => {
      await sleep(350);
      await sse(res, [chunk('m', 'Hel'), chunk('m', 'lo')]);
    });
    const stream = await client.chat.completions.create({ model: 'tunnel/m', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hello');
  });

  it('turns an upstream error after the commit into a final SSE error event that makes the SDK throw', async () => {
    fake.handle(async (req, res) => {
      await sleep(350);
      json(res, 503, { error: { message: 'model is loading', type: 'server_error', code: 'overloaded' } });
    });
    const raw = await post(router.url, chatBody('tunnel/m', true));
    expect(raw.status).toBe(200);
    const events = sseData(raw.text);
    expect(events).toHaveLength(1);
    const event = JSON.parse(events[0]) as { error: { message: string; code: string } };
    expect(event.error.code).toBe('upstream_http_503');
    expect(event.error.message).toContain('model is loading');

    const stream = await client.chat.completions.create({ model: 'tunnel/m', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const read = async () => {
      for await (const c of stream) void c;
    };
    await expect(read()).rejects.toThrow(/model is loading/);
  });

  it('ends a committed stream with a backend_timeout event when the headers never come, and aborts upstream', async () => {
    fake.handle(() => undefined);
    const before = fake.aborted.length;
    const res = await post(router.url, chatBody('stuck/m', true));
    expect(res.status).toBe(200);
    expect(res.text).toContain(': keep-alive');
    const events = sseData(res.text);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]).error.code).toBe('backend_timeout');
    await waitFor(() => fake.aborted.length === before + 1, 'the upstream request to be closed');
  });

  it('keeps the upstream status when the error comes before keepalive_ms', async () => {
    fake.handle((req, res) => json(res, 429, { error: { message: 'slow down', type: 'rate_limit_error', code: 'rate_limited' } }, { 'retry-after': '0' }));
    const res = await post(router.url, chatBody('tunnel/m', true));
    expect(res.status).toBe(429);
    expect(openAIError(res.text).message).toBe('slow down');
    await expect(
      client.chat.completions.create({ model: 'tunnel/m', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    ).rejects.toMatchObject({ status: 429 });
  });
});
