import { chunk, completion, FakeUpstream, json, sse } from './fake-upstream';
import { backend, startRouter, type RunningRouter } from './router-harness';
import { chatBody, openAIError, post, refusedUrl, sleep, sseData, startResetter } from './reliability-support';

// Retries and fallbacks happen only before any data reached the client, and only where the backend
// cannot have done the work. The fakes count what they received, so "no retry" is proven, not assumed.

describe('retries', () => {
  let fake: FakeUpstream;
  let resetter: Awaited<ReturnType<typeof startResetter>>;
  let router: RunningRouter;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    resetter = await startResetter();
    router = await startRouter({
      backend_defaults: { retries: 2, max_retry_delay_ms: 200, circuit_failures: 1000 },
      backends: [
        backend('flaky', fake.url),
        backend('dropper', resetter.url),
        backend('dead', await refusedUrl()),
        backend('patient', fake.url, { retries: 1, max_retry_delay_ms: 5_000 }),
        backend('slow', fake.url, { timeout_ms: 200, retries: 3 }),
        backend('tunnel', fake.url, { keepalive_ms: 100, retries: 1 }),
      ],
    });
  });
  afterAll(async () => {
    await router.close();
    await fake.close();
    await resetter.close();
  });

  /** Answers the first `failures` requests with `fail`, then the default answer. */
  function failFirst(failures: number, fail: (res: import('node:http').ServerResponse) => void) {
    let seen = 0;
    fake.handle((req, res) => {
      if (seen++ < failures) return fail(res);
      if (req.body?.stream) return sse(res, [chunk(req.body.model, 'ok')]);
      json(res, 200, completion(req.body.model, 'ok'));
    });
  }

  it.each([429, 502, 503, 504])('retries a %i and serves the retry', async (status) => {
    failFirst(2, (res) => json(res, status, { error: { message: 'busy', type: 'server_error', code: null } }, { 'retry-after': '0' }));
    const before = fake.requests.length;
    const res = await post(router.url, chatBody('flaky/m'));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).choices[0].message.content).toBe('ok');
    expect(fake.requests.length - before).toBe(3);
  });

  it('gives up after `retries` retries and relays the last upstream error with its status', async () => {
    failFirst(100, (res) => json(res, 503, { error: { message: 'overloaded', type: 'server_error', code: 'overloaded' } }, { 'retry-after': '0' }));
    const before = fake.requests.length;
    const res = await post(router.url, chatBody('flaky/m'));
    expect(res.status).toBe(503);
    expect(openAIError(res.text)).toMatchObject({ message: 'overloaded', code: 'overloaded' });
    expect(fake.requests.length - before).toBe(3);
  });

  it('retries a connection reset, then answers 502 backend_connection_reset', async () => {
    const before = resetter.count();
    const res = await post(router.url, chatBody('dropper/m'));
    expect(res.status).toBe(502);
    expect(openAIError(res.text).code).toBe('backend_connection_reset');
    expect(resetter.count() - before).toBe(3);
  });

  it('answers 502 backend_unreachable when the connection is refused, without naming the address', async () => {
    const res = await post(router.url, chatBody('dead/m'));
    expect(res.status).toBe(502);
    const error = openAIError(res.text);
    expect(error.code).toBe('backend_unreachable');
    expect(error.message).toContain('"dead"');
    expect(error.message).not.toMatch(/127\.0\.0\.1|localhost/);
  });

  it.each([400, 401, 403, 404, 413, 422])('never retries a %i', async (status) => {
    failFirst(100, (res) => json(res, status, { error: { message: `no (${status})`, type: 'invalid_request_error', code: null } }));
    const before = fake.requests.length;
    const res = await post(router.url, chatBody('flaky/m'));
    expect(res.status).toBe(status);
    expect(openAIError(res.text).message).toBe(`no (${status})`);
    expect(fake.requests.length - before).toBe(1);
  });

  it('never retries a response-header timeout: the backend may still be working', async () => {
    fake.handle(() => undefined);
    const before = fake.requests.length;
    const res = await post(router.url, chatBody('slow/m'));
    expect(res.status).toBe(504);
    await sleep(300);
    expect(fake.requests.length - before).toBe(1);
  });

  it('waits the retry-after the upstream asked for', async () => {
    const arrivals: number[] = [];
    let seen = 0;
    fake.handle((req, res) => {
      arrivals.push(Date.now());
      if (seen++ === 0) return json(res, 429, { error: { message: 'later', type: 'rate_limit_error', code: null } }, { 'retry-after': '1' });
      json(res, 200, completion('m', 'ok'));
    });
    const res = await post(router.url, chatBody('patient/m'));
    expect(res.status).toBe(200);
    expect(arrivals).toHaveLength(2);
    expect(arrivals[1] - arrivals[0]).toBeGreaterThanOrEqual(950);
  });

  it('caps a long retry-after at max_retry_delay_ms', async () => {
    failFirst(1, (res) => json(res, 503, { error: { message: 'down for an hour', type: 'server_error', code: null } }, { 'retry-after': '3600' }));
    const before = fake.requests.length;
    const res = await post(router.url, chatBody('flaky/m'));
    expect(res.status).toBe(200); // an uncapped wait would outlast the test's own timeout
    expect(fake.requests.length - before).toBe(2);
  });

  it('still retries after keep-alive comments went out: comments are not data', async () => {
    let seen = 0;
    fake.handle(async (req, res) => {
      if (seen++ === 0) {
        await sleep(300);
        return json(res, 503, { error: { message: 'loading', type: 'server_error', code: null } }, { 'retry-after': '0' });
      }
      await sse(res, [chunk('m', 'after retry')]);
    });
    const before = fake.requests.length;
    const res = await post(router.url, chatBody('tunnel/m', true));
    expect(res.status).toBe(200);
    expect(res.text).toContain(': keep-alive');
    expect(sseData(res.text)).toEqual([expect.stringContaining('after retry'), '[DONE]']);
    expect(fake.requests.length - before).toBe(2);
  });

  it('wraps an upstream error page that is not OpenAI-style into an OpenAI-style error with the same status', async () => {
    fake.handle((req, res) => {
      res.writeHead(400, { 'content-type': 'text/html' });
      res.end('<html><body>Bad Gateway at 10.0.0.7</body></html>');
    });
    const res = await post(router.url, chatBody('flaky/m'));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const error = openAIError(res.text);
    expect(error.code).toBe('upstream_http_400');
    expect(error.message).not.toContain('10.0.0.7');
  });
});

describe('fallbacks', () => {
  let first: FakeUpstream;
  let second: FakeUpstream;
  let router: RunningRouter;
  let dead: string;

  beforeAll(async () => {
    first = await FakeUpstream.start();
    second = await FakeUpstream.start();
    dead = await refusedUrl();
    router = await startRouter({
      backend_defaults: { retries: 1, max_retry_delay_ms: 50, circuit_failures: 1000 },
      aliases: {
        fast: ['groq/llama-big', 'ollama/llama-small'],
        doomed: ['groq/llama-big', 'gone/x'],
        doomed2: ['gone/x', 'groq/llama-big'],
      },
      backends: [
        backend('groq', first.url, { unsupported_params: ['seed'], role_rewrites: {} }),
        backend('ollama', second.url, { role_rewrites: { developer: 'system' }, unsupported_params: ['reasoning_effort'] }),
        backend('gone', dead),
      ],
    });
  });
  afterAll(async () => {
    await router.close();
    await first.close();
    await second.close();
  });
  beforeEach(() => {
    first.handle(undefined);
    second.handle(undefined);
  });

  const body = {
    model: 'fast',
    messages: [
      { role: 'developer', content: 'be brief' },
      { role: 'user', content: 'hi' },
    ],
    seed: 7,
    reasoning_effort: 'low',
  };

  it('serves from the first target when it answers, saying so in the headers', async () => {
    const secondBefore = second.requests.length;
    const res = await post(router.url, body);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-llmrouter-backend')).toBe('groq');
    expect(res.headers.get('x-llmrouter-model')).toBe('llama-big');
    expect(second.requests.length).toBe(secondBefore);
  });

  it('falls back to the next target after the first fails its retries, each with its own transforms', async () => {
    first.handle((req, res) => json(res, 503, { error: { message: 'overloaded', type: 'server_error', code: null } }, { 'retry-after': '0' }));
    const firstBefore = first.requests.length;
    const res = await post(router.url, body);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-llmrouter-backend')).toBe('ollama');
    expect(res.headers.get('x-llmrouter-model')).toBe('llama-small');
    expect(first.requests.length - firstBefore).toBe(2);

    const toFirst = first.last.body;
    expect(toFirst.model).toBe('llama-big');
    expect(toFirst.seed).toBeUndefined();
    expect(toFirst.reasoning_effort).toBe('low');
    expect(toFirst.messages[0].role).toBe('developer');

    const toSecond = second.last.body;
    expect(toSecond.model).toBe('llama-small');
    expect(toSecond.seed).toBe(7);
    expect(toSecond.reasoning_effort).toBeUndefined();
    expect(toSecond.messages[0].role).toBe('system');
  });

  it('does not fall back on a 4xx: the request itself is wrong', async () => {
    first.handle((req, res) => json(res, 400, { error: { message: 'bad tool schema', type: 'invalid_request_error', code: null } }));
    const secondBefore = second.requests.length;
    const res = await post(router.url, body);
    expect(res.status).toBe(400);
    expect(second.requests.length).toBe(secondBefore);
  });

  it('gives the client the last target\'s error, OpenAI-style, when every target fails', async () => {
    first.handle((req, res) => json(res, 503, { error: { message: 'overloaded', type: 'server_error', code: null } }, { 'retry-after': '0' }));
    let res = await post(router.url, { ...body, model: 'doomed' });
    expect(res.status).toBe(502);
    expect(openAIError(res.text)).toMatchObject({ code: 'backend_unreachable', message: expect.stringContaining('"gone"') });

    res = await post(router.url, { ...body, model: 'doomed2' });
    expect(res.status).toBe(503);
    expect(openAIError(res.text).message).toBe('overloaded');
    expect(res.headers.get('x-llmrouter-backend')).toBe('groq');
  });

  it('falls back for streams too, before any data was sent', async () => {
    first.handle((req, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
    });
    const res = await post(router.url, { ...body, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-llmrouter-backend')).toBe('ollama');
    expect(sseData(res.text).pop()).toBe('[DONE]');
  });
});
