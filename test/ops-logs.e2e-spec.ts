import OpenAI from 'openai';
import { chunk, FakeUpstream, sse } from './fake-upstream';
import { jsonLines, spawnRouter, SpawnedRouter, waitFor } from './ops-spawn';

// The real process's stdout at debug level, scanned for every secret it was given.

const ROUTER_KEY = 'rsk_ops_router_secret_5a1c9e';
const BACKEND_KEY = 'sk-backend-secret-77f3b2d1';
const METRICS_KEY = 'metrics-scraper-secret-0c4e';
const WRONG_KEY = 'sk-proj-wrong-provider-key-9d2a61';
const MARKER = 'PRIVATE-MESSAGE-MARKER-31337';

describe('ops: structured logs', () => {
  let fake: FakeUpstream;
  let router: SpawnedRouter;
  let client: OpenAI;
  let lines: Array<Record<string, unknown>>;
  let responseIds: Record<string, string | null>;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    fake.handle((req, res) => {
      if (req.body?.messages?.[0]?.content?.includes('break')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify(chunk(req.body.model, 'half'))}\n\n`);
        setTimeout(() => res.destroy(), 50);
        return;
      }
      if (req.body?.stream) {
        void sse(res, [chunk(req.body.model, 'Hi'), chunk(req.body.model, '', { choices: [], usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 } })]);
        return;
      }
      const text = JSON.stringify({
        id: 'c1', object: 'chat.completion', created: 1, model: req.body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'upstream-id-42' });
      res.end(text);
    });
    router = await spawnRouter(
      {
        metrics_api_key_env: 'OPS_METRICS_KEY',
        backends: [{ name: 'fake', base_url: fake.url, prefix: 'fake/', default: true, key_env_var: 'OPS_BACKEND_KEY' }],
      },
      { LLMROUTER_API_KEY: ROUTER_KEY, OPS_BACKEND_KEY: BACKEND_KEY, OPS_METRICS_KEY: METRICS_KEY },
      ['--log-level', 'debug'],
    );
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
    responseIds = {};

    const plain = await client.chat.completions
      .create({ model: 'fake/m1', messages: [{ role: 'user', content: `hello ${MARKER}` }] }, { headers: { 'x-request-id': 'ops-trace-1' } })
      .withResponse();
    responseIds.plain = plain.response.headers.get('x-request-id');
    responseIds.upstream = plain.response.headers.get('x-upstream-request-id');

    const stream = await client.chat.completions.create(
      { model: 'fake/m2', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: `stream ${MARKER}` }] },
      { headers: { 'x-request-id': 'ops-trace-2' } },
    );
    for await (const _ of stream) void _;

    await client.chat.completions
      .create({ model: 'fake/m3', stream: true, messages: [{ role: 'user', content: `break ${MARKER}` }] }, { headers: { 'x-request-id': 'ops-trace-broken' } })
      .then(async (s) => {
        for await (const _ of s) void _;
      })
      .catch(() => undefined);

    const wrong = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WRONG_KEY}`, 'content-type': 'application/json', 'x-request-id': 'bad id with spaces' },
      body: JSON.stringify({ model: 'fake/m1', messages: [{ role: 'user', content: MARKER }] }),
    });
    responseIds.wrong = wrong.headers.get('x-request-id');
    const garbled = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ROUTER_KEY}`, 'content-type': 'application/json', 'x-request-id': 'ops-trace-garbled' },
      body: `{"messages": "${MARKER}`,
    });
    responseIds.garbled = garbled.headers.get('x-request-id');
    await client.chat.completions.create(
      { model: 'fake/\u001b[2J\u0000x\ud800\nfake line', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-request-id': 'ops-trace-odd-model' } },
    );
    await fetch(`${router.url}/${'long-path/'.repeat(1_000)}`, { headers: { 'x-request-id': 'ops-trace-long-path' } });
    const missing = await fetch(`${router.url}/no/such/path`, { headers: { 'x-request-id': 'ops-trace-404' } });
    responseIds.missing = missing.headers.get('x-request-id');
    // Gemini clients may send the key in the URL (?key=): neither the right one nor a wrong one is logged.
    for (const [key, id] of [[ROUTER_KEY, 'ops-trace-gemini'], [WRONG_KEY, 'ops-trace-gemini-wrong']]) {
      await fetch(`${router.url}/v1beta/models/fake/m1:generateContent?alt=json&key=${key}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify({ contents: `gemini ${MARKER}` }),
      });
    }
    await fetch(`${router.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_KEY}` } });

    // Request lines are written when the response closes: wait for the last one, then stop the router.
    await waitFor(() => router.stdout().includes('"path":"/metrics"'), 10_000);
    router.kill('SIGTERM');
    await router.exited;
    lines = jsonLines(router.stdout());
  }, 60_000);

  afterAll(async () => {
    if (router.child.exitCode === null) router.kill('SIGKILL');
    await fake.close();
  });

  const requestLine = (id: string) => lines.find((l) => l.context === 'Request' && l.request_id === id);

  it('writes one JSON object per stdout line, with level names', () => {
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(['error', 'warn', 'info', 'debug']).toContain(line.level);
  });

  it('never logs the router key, backend key, metrics key, a wrong key or message content', () => {
    const everything = router.stdout() + router.stderr();
    for (const secret of [ROUTER_KEY, BACKEND_KEY, METRICS_KEY, WRONG_KEY, MARKER]) expect(everything).not.toContain(secret);
    // The backend did receive its own key, so the secret really was in play.
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${BACKEND_KEY}`);
  });

  it("keeps a sane client request id, sends it upstream and relays the upstream's own id", () => {
    expect(responseIds.plain).toBe('ops-trace-1');
    expect(fake.requests[0].headers['x-request-id']).toBe('ops-trace-1');
    expect(responseIds.upstream).toBe('upstream-id-42');
  });

  it('gives error responses and unknown paths a request id too, replacing an insane one', () => {
    expect(responseIds.wrong).toMatch(/^[0-9a-f-]{36}$/);
    expect(responseIds.garbled).toBe('ops-trace-garbled');
    expect(responseIds.missing).toBe('ops-trace-404');
    expect(requestLine(responseIds.wrong!)).toMatchObject({ status: 401 });
    expect(requestLine('ops-trace-garbled')).toMatchObject({ status: 400 });
    expect(requestLine('ops-trace-404')).toMatchObject({ status: 404 });
    expect(requestLine('ops-trace-gemini')).toMatchObject({ status: 200, model: 'fake/m1', backend: 'fake', prompt_tokens: 5 });
    expect(requestLine('ops-trace-gemini-wrong')).toMatchObject({ status: 401 });
  });

  it('logs one line per request with key, models, backend, status, timings and tokens', () => {
    const line = requestLine('ops-trace-1');
    expect(line).toMatchObject({
      key: 'default', model: 'fake/m1', backend: 'fake', upstream_model: 'm1', status: 200, stream: false,
      prompt_tokens: 5, completion_tokens: 2,
    });
    expect(typeof line!.ttfb_ms).toBe('number');
    expect(typeof line!.total_ms).toBe('number');
    expect(requestLine('ops-trace-2')).toMatchObject({ key: 'default', model: 'fake/m2', backend: 'fake', stream: true, prompt_tokens: 11, completion_tokens: 3 });
  });

  it('logs a model with terminal escapes, NUL, lone surrogates or line breaks as printable text on one line', () => {
    expect(requestLine('ops-trace-odd-model')).toMatchObject({ model: 'fake/\ufffd[2J\ufffdx\ufffd\ufffdfake line', upstream_model: '\ufffd[2J\ufffdx\ufffd\ufffdfake line' });
    expect(router.stdout()).not.toContain('\u001b[2J');
  });

  it('logs at most 512 characters of a path', () => {
    const path = String(requestLine('ops-trace-long-path')?.path);
    expect(path.startsWith('/long-path/long-path/')).toBe(true);
    expect(path.length).toBeLessThanOrEqual(513);
  });

  it("puts the request id on other lines about the request (a stream that broke midway)", () => {
    const about = lines.filter((l) => l.request_id === 'ops-trace-broken' && l.context !== 'Request');
    expect(about.length).toBeGreaterThan(0);
    expect(about.some((l) => String(l.msg).includes('stream failed'))).toBe(true);
  });
});
