import type { ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { chunk, defaultAnswer, FakeUpstream, json } from './fake-upstream';
import { waitFor } from './ops-spawn';
import { auth, backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

const METRICS_KEY = 'scrape-only-key-1b2c';
const ALICE_KEY = 'alice-team-key-3d4e';

describe('ops: GET /metrics', () => {
  let fake: FakeUpstream;
  let router: RunningRouter;
  let held: ServerResponse | undefined;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    fake.handle((req, res) => {
      const content = req.body?.messages?.[0]?.content;
      if (content === 'fail') return json(res, 503, { error: { message: 'overloaded' } });
      if (content === 'unknown') return json(res, 404, { error: { message: 'model not found', code: 'model_not_found' } });
      if (content === 'hold') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify(chunk(req.body.model, 'first'))}\n\n`);
        held = res;
        return;
      }
      if (req.body?.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify(chunk(req.body.model, 'Hi'))}\n\n`);
        res.write(`data: ${JSON.stringify(chunk(req.body.model, '', { choices: [], usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 } }))}\n\n`);
        res.end('data: [DONE]\n\n');
        return;
      }
      defaultAnswer(fake, req, res);
    });
    router = await startRouter(
      {
        metrics_api_key_env: 'OPS_METRICS_KEY',
        aliases: { smart: ['dead/x', 'fake/m'] },
        api_keys: [{ name: 'alice', key_env: 'ALICE_KEY' }],
        backend_defaults: { retries: 0 },
        backends: [backend('fake', fake.url, { default: true }), backend('dead', 'http://127.0.0.1:9/v1')],
      },
      { OPS_METRICS_KEY: METRICS_KEY, ALICE_KEY },
    );
  });

  afterAll(async () => {
    held?.end();
    await router.close();
    await fake.close();
  });

  const scrape = async (key = ROUTER_KEY) => {
    const res = await fetch(`${router.url}/metrics`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  /** The value of one sample, matched by name and a subset of its labels. */
  const sample = (text: string, name: string, labels: Record<string, string>): number | undefined => {
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
    }
    return undefined;
  };
  const eventually = async (name: string, labels: Record<string, string>, expected: number) => {
    let last: number | undefined;
    await waitFor(async () => (last = sample((await scrape()).text, name, labels)) === expected, 5_000);
    return last;
  };

  it('answers only the router key or the metrics key, not a team key or no key', async () => {
    expect((await fetch(`${router.url}/metrics`)).status).toBe(401);
    expect((await scrape(ALICE_KEY)).status).toBe(401);
    expect((await scrape('wrong')).status).toBe(401);
    const ok = await scrape(METRICS_KEY);
    expect(ok.status).toBe(200);
    expect(ok.type).toContain('text/plain');
    expect((await scrape()).status).toBe(200);
  });

  it('counts requests and tokens by backend, model, status and key; times them', async () => {
    const alice = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ALICE_KEY, maxRetries: 0 });
    await alice.chat.completions.create({ model: 'fake/plain', messages: [{ role: 'user', content: 'hi' }] });
    const stream = await alice.chat.completions.create({ model: 'fake/streamed', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    for await (const _ of stream) void _;

    expect(await eventually('llmrouter_requests_total', { backend: 'fake', model: 'fake/plain', status: '200', key: 'alice' }, 1)).toBe(1);
    expect(await eventually('llmrouter_requests_total', { model: 'fake/streamed', key: 'alice' }, 1)).toBe(1);
    const { text } = await scrape();
    expect(sample(text, 'llmrouter_prompt_tokens_total', { model: 'fake/plain', key: 'alice' })).toBe(5);
    expect(sample(text, 'llmrouter_completion_tokens_total', { model: 'fake/plain', key: 'alice' })).toBe(2);
    // From the final usage chunk of the stream.
    expect(sample(text, 'llmrouter_prompt_tokens_total', { model: 'fake/streamed' })).toBe(20);
    expect(sample(text, 'llmrouter_completion_tokens_total', { model: 'fake/streamed' })).toBe(4);
    for (const h of ['llmrouter_time_to_first_byte_seconds', 'llmrouter_request_duration_seconds', 'llmrouter_overhead_seconds']) {
      expect(sample(text, `${h}_count`, { backend: 'fake', model: 'fake/plain', status: '200' })).toBe(1);
    }
  });

  it('blames upstream errors on the backend that failed, by kind', async () => {
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
    const reply = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] });
    expect(reply.choices[0].message.content).toBe('Hello');
    await expect(client.chat.completions.create({ model: 'fake/busy', messages: [{ role: 'user', content: 'fail' }] })).rejects.toMatchObject({ status: 503 });

    expect(await eventually('llmrouter_upstream_errors_total', { backend: 'dead', model: 'smart', kind: 'refused' }, 1)).toBe(1);
    expect(await eventually('llmrouter_upstream_errors_total', { backend: 'fake', model: 'fake/busy', kind: 'http_503' }, 1)).toBe(1);
    const { text } = await scrape();
    expect(sample(text, 'llmrouter_requests_total', { backend: 'fake', model: 'smart', status: '200', key: 'default' })).toBe(1);
    expect(sample(text, 'llmrouter_upstream_errors_total', { backend: 'fake', model: 'smart' })).toBeUndefined();
  });

  it('shows a stream as open while it is relayed and not after', async () => {
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake/long', stream: true, messages: [{ role: 'user', content: 'hold' }] }),
    });
    expect(res.status).toBe(200);
    expect(await eventually('llmrouter_open_streams', { backend: 'fake', model: 'fake/long' }, 1)).toBe(1);
    held!.end('data: [DONE]\n\n');
    await res.text();
    await waitFor(async () => sample((await scrape()).text, 'llmrouter_open_streams', { model: 'fake/long' }) === undefined, 5_000);
    expect(sample((await scrape()).text, 'llmrouter_open_streams', { model: 'fake/long' })).toBeUndefined();
  });

  it("gives each proxied response its own overhead in x-llmrouter-overhead-ms", async () => {
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake/m', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const overhead = res.headers.get('x-llmrouter-overhead-ms');
    expect(overhead).toMatch(/^\d+\.\d{3}$/);
    expect(Number(overhead)).toBeGreaterThanOrEqual(0);
    expect(Number(overhead)).toBeLessThan(10_000);
  });

  it('counts requests rejected before routing by status', async () => {
    await fetch(`${router.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, body: '{}' });
    expect(await eventually('llmrouter_rejected_requests_total', { status: '401' }, 1)).toBeGreaterThanOrEqual(1);
  });

  it('keeps real models labelled after a flood of unknown model names', async () => {
    const post = (model: string, content: string) =>
      fetch(`${router.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
      });
    // More unknown names than there are label places (500), a few at a time.
    const names = Array.from({ length: 520 }, (_, i) => `fake/no-such-model-${i}`);
    for (let i = 0; i < names.length; i += 20) {
      const answers = await Promise.all(names.slice(i, i + 20).map((m) => post(m, 'unknown')));
      for (const a of answers) expect(a.status).toBe(404);
    }
    expect((await post('fake/real-after-flood', 'hi')).status).toBe(200);
    expect((await post('smart', 'hi')).status).toBe(200);
    expect(await eventually('llmrouter_requests_total', { model: 'fake/real-after-flood', status: '200' }, 1)).toBe(1);
    const { text } = await scrape();
    expect(sample(text, 'llmrouter_requests_total', { backend: 'fake', model: 'smart', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'llmrouter_requests_total', { model: 'fake/no-such-model-0' })).toBeUndefined();
    expect(sample(text, 'llmrouter_requests_total', { model: 'other', status: '404' })).toBe(520);
  });

  it('labels a model with control characters and lone surrogates with a printable value, and refuses one over 256 characters', async () => {
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
    const reply = await client.chat.completions.create({ model: 'fake/odd\u0000\ud800name', messages: [{ role: 'user', content: 'hi' }] });
    expect(reply.choices[0].message.content).toBe('Hello');
    expect(await eventually('llmrouter_requests_total', { model: 'fake/odd\ufffd\ufffdname', status: '200' }, 1)).toBe(1);
    const tooLong = client.chat.completions.create({ model: `fake/${'m'.repeat(300)}`, messages: [{ role: 'user', content: 'hi' }] });
    await expect(tooLong).rejects.toMatchObject({ status: 400, error: { type: 'invalid_request_error', code: 'model_too_long', param: 'model' } });
    await expect(tooLong).rejects.toThrow(/at most 256 characters/);
    expect(fake.requests.some((r) => String(r.body?.model).length > 256)).toBe(false);
  });
});
