import { createServer } from 'node:net';
import OpenAI from 'openai';
import { FakeUpstream, json } from './fake-upstream';
import { auth, backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// Every error is OpenAI-shaped JSON, names the backend and never its address or key, and the router
// keeps serving afterwards.

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('core: errors', () => {
  let ok: FakeUpstream;
  let limited: FakeUpstream;
  let silent: FakeUpstream;
  let keyless: FakeUpstream;
  let router: RunningRouter;
  let deadUrl: string;

  beforeAll(async () => {
    [ok, limited, silent, keyless] = await Promise.all([FakeUpstream.start(), FakeUpstream.start(), FakeUpstream.start(), FakeUpstream.start()]);
    deadUrl = `http://127.0.0.1:${await closedPort()}/v1`;
    // Never answers; its sockets are destroyed when the fake closes.
    silent.handle(() => undefined);
    limited.handle((_req, res) =>
      json(
        res,
        429,
        { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } },
        { 'retry-after': '7', 'x-ratelimit-limit-requests': '30', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2s', 'x-request-id': 'req_up_1' },
      ),
    );
    router = await startRouter(
      {
        max_request_bytes: 2048,
        backends: [
          backend('ok', ok.url, { default: true }),
          backend('limited', limited.url, { retries: 0 }),
          backend('dead', deadUrl, { retries: 0 }),
          backend('silent', silent.url, { timeout_ms: 300, retries: 0 }),
          backend('keyless', keyless.url, { require_api_key: true, key_env_var: 'KEYLESS_API_KEY' }),
        ],
      },
      { UNRELATED: 'x' },
    );
  });

  afterAll(async () => {
    await router?.close();
    await Promise.all([ok, limited, silent, keyless].map((f) => f?.close()));
  });

  const send = (body: string, path = '/v1/chat/completions', headers: Record<string, string> = {}) =>
    fetch(`${router.url}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', ...headers }, body });
  const chat = (model: string) => send(JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }));

  async function expectError(res: Response, status: number, code: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as any;
    expect(body.error).toEqual(expect.objectContaining({ code, message: expect.any(String), type: expect.any(String) }));
    return body.error.message as string;
  }

  it('relays an upstream 429 with its body, retry-after and x-ratelimit-* headers at once', async () => {
    const res = await chat('limited/llama');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('30');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset-requests')).toBe('2s');
    expect(res.headers.get('x-upstream-request-id')).toBe('req_up_1');
    expect(await res.json()).toEqual({ error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } });
    expect(limited.requests).toHaveLength(1);
  });

  it('surfaces the relayed 429 to the openai SDK as a RateLimitError', async () => {
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'limited/llama', messages: [{ role: 'user', content: 'Hi' }] })).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
  });

  it('answers 502 backend_unreachable naming the backend, not its address', async () => {
    const message = await expectError(await chat('dead/llama'), 502, 'backend_unreachable');
    expect(message).toContain('"dead"');
    expect(message).not.toContain('127.0.0.1');
    expect(message).not.toContain(deadUrl.split(':')[2]);
  });

  it('answers 504 backend_timeout when the upstream does not answer within timeout_ms', async () => {
    const before = silent.requests.length;
    const message = await expectError(await chat('silent/llama'), 504, 'backend_timeout');
    expect(message).toContain('"silent"');
    expect(message).toContain('timeout_ms');
    expect(silent.requests.length).toBe(before + 1);
  });

  it('answers 503 naming the missing key variable, without contacting the backend', async () => {
    const message = await expectError(await chat('keyless/llama'), 503, 'backend_key_missing');
    expect(message).toContain('KEYLESS_API_KEY');
    expect(message).toContain('"keyless"');
    expect(keyless.requests).toHaveLength(0);
  });

  it('answers 413 for a body over max_request_bytes, without contacting a backend', async () => {
    const before = ok.requests.length;
    const big = JSON.stringify({ model: 'ok/x', messages: [{ role: 'user', content: 'x'.repeat(4096) }] });
    await expectError(await send(big), 413, 'request_too_large');
    expect(ok.requests.length).toBe(before);
  });

  it.each([
    ['malformed JSON', '{"model": "ok/x", "messages": [', 'invalid_json'],
    ['malformed JSON holding a secret', '{"model": "ok/x", "note": "sk-secret-value" ,,}', 'invalid_json'],
    ['a JSON array body', '[1,2]', 'invalid_body'],
    ['a missing model', '{"messages": []}', 'missing_model'],
    ['an empty model', '{"model": "", "messages": []}', 'missing_model'],
    ['a non-string model', '{"model": 42, "messages": []}', 'invalid_model'],
    ['messages that are not an array', '{"model": "ok/x", "messages": "Hi"}', 'invalid_messages'],
    ['missing messages', '{"model": "ok/x"}', 'missing_messages'],
  ])('answers 400 for %s, without contacting a backend', async (_what, body, code) => {
    const before = ok.requests.length;
    const res = await send(body);
    const message = await expectError(res, 400, code);
    expect(message).not.toContain('sk-secret-value');
    expect(message).not.toContain(body);
    expect(ok.requests.length).toBe(before);
  });

  it('keeps serving after all of these errors', async () => {
    const res = await chat('ok/llama');
    expect(res.status).toBe(200);
    expect(ok.last.body.model).toBe('llama');
  });
});
