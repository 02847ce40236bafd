import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { FakeUpstream, chunk, sse } from './fake-upstream';
import { auth, backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

const ALICE = 'rsk_alice_0123456789abcdef';
const BOB = 'rsk_bob_0123456789abcdef';
const CAROL = 'rsk_carol_0123456789abcdef';
const DAVE = 'rsk_dave_0123456789abcdef';
const ERIN = 'rsk_erin_0123456789abcdef';
const FRANK = 'rsk_frank_0123456789abcdef';
const hex = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const hello = [{ role: 'user' as const, content: 'hi' }];
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; type: string; param: string | null } }).error;

describe('team access: per-key models, limits and usage', () => {
  let up: FakeUpstream;
  let router: RunningRouter;
  const client = (key: string) => new OpenAI({ baseURL: `${router.url}/v1`, apiKey: key, maxRetries: 0 });
  const chat = (key: string, model: string, extra: Record<string, unknown> = {}) =>
    fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: hello, ...extra }),
    });
  const usage = async (key: string, path = '/v1/usage') => {
    const res = await fetch(`${router.url}${path}`, { headers: bearer(key) });
    expect(res.status).toBe(200);
    return (await res.json()) as { shared: boolean; windows: Array<{ window: string; data: Array<{ key: string; model: string; requests: number; prompt_tokens: number; completion_tokens: number; total_tokens: number }> }> };
  };
  /** Token usage is charged when the response closes: wait (bounded) until the router has seen it. */
  const waitForTokens = async (key: string, tokens: number) => {
    for (let i = 0; i < 100; i++) {
      // The day window: a minute boundary may fall in the middle of a test, a day boundary hardly.
      const day = (await usage(ROUTER_KEY)).windows.find((w) => w.window === 'day')!;
      if (day.data.filter((r) => r.key === key).reduce((n, r) => n + r.total_tokens, 0) >= tokens) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`usage of ${key} never reached ${tokens} tokens`);
  };

  beforeAll(async () => {
    up = await FakeUpstream.start();
    up.models = ['llama-3', 'mixtral'];
    router = await startRouter(
      {
        backends: [backend('ollama', up.url, { default: true }), backend('groq', up.url)],
        aliases: { o1: 'groq/deepseek-r1' },
        api_keys: [
          { name: 'alice', key_sha256: hex(ALICE), allowed_models: ['ollama/*', 'o1'] },
          { name: 'bob', key_env: 'BOB_KEY', allowed_models: ['groq/llama-*'], rate_limit: { requests_per_minute: 2 } },
          { name: 'carol', key_sha256: hex(CAROL), rate_limit: { tokens_per_minute: 10 } },
          { name: 'dave', key_sha256: hex(DAVE), rate_limit: { tokens_per_minute: 30 } },
          { name: 'erin', key_sha256: hex(ERIN), rate_limit: { requests_per_minute: 2 } },
          // Bob's models without his limit: listing models counts against a limit too.
          { name: 'frank', key_sha256: hex(FRANK), allowed_models: ['groq/llama-*'] },
        ],
      },
      { BOB_KEY: BOB },
    );
  });
  afterAll(async () => {
    await router?.close();
    await up?.close();
  });

  describe('allowed_models', () => {
    it('forwards models matching the key’s globs, with * spanning slashes', async () => {
      const alice = client(ALICE);
      await alice.chat.completions.create({ model: 'ollama/llama3.2', messages: hello });
      expect(up.last.body.model).toBe('llama3.2');
      await alice.chat.completions.create({ model: 'ollama/library/phi4', messages: hello });
      expect(up.last.body.model).toBe('library/phi4');
    });

    it('matches the alias as the client named it, not its target', async () => {
      await client(ALICE).chat.completions.create({ model: 'o1', messages: hello });
      expect(up.last.body.model).toBe('deepseek-r1');
    });

    it('answers 403 model_not_allowed naming the model and forwards nothing', async () => {
      const before = up.requests.length;
      const err = await client(ALICE)
        .chat.completions.create({ model: 'groq/deepseek-r1', messages: hello })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect((err as InstanceType<typeof OpenAI.PermissionDeniedError>).code).toBe('model_not_allowed');
      expect((err as Error).message).toContain('groq/deepseek-r1');
      expect(up.requests.length).toBe(before);
    });

    it('refuses a model name over 256 characters as too long, without echoing it', async () => {
      const long = `groq/${'x'.repeat(100_000)}`;
      const res = await chat(ALICE, long);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(JSON.parse(text).error).toMatchObject({ code: 'model_too_long', param: 'model' });
      expect(text.length).toBeLessThan(1_000);
    });

    it('refuses a prefix lookalike: groq/llama-* does not cover groq/mixtral', async () => {
      const before = up.requests.length;
      const res = await chat(BOB, 'groq/mixtral');
      expect(res.status).toBe(403);
      expect((await errorOf(res))).toMatchObject({ code: 'model_not_allowed', type: 'permission_error', param: 'model' });
      expect(up.requests.length).toBe(before);
    });

    it('applies to every proxied endpoint, not only chat', async () => {
      const before = up.requests.length;
      const res = await fetch(`${router.url}/v1/embeddings`, {
        method: 'POST',
        headers: { ...bearer(ALICE), 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'groq/text-embedding', input: 'x' }),
      });
      expect(res.status).toBe(403);
      expect(up.requests.length).toBe(before);
    });

    it('lists in /v1/models only what the key may use', async () => {
      const ids = async (key: string) => (await client(key).models.list()).data.map((m) => m.id).sort();
      expect(await ids(ALICE)).toEqual(['o1', 'ollama/llama-3', 'ollama/mixtral']);
      expect(await ids(FRANK)).toEqual(['groq/llama-3']);
      expect(await ids(ROUTER_KEY)).toEqual(['groq/llama-3', 'groq/mixtral', 'o1', 'ollama/llama-3', 'ollama/mixtral']);
      const bare = await fetch(`${router.url}/models`, { headers: bearer(FRANK) });
      expect(((await bare.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)).toEqual(['groq/llama-3']);
    });
  });

  describe('rate limits', () => {
    it('refuses the request over requests_per_minute with 429, retry-after and rate_limit_exceeded', async () => {
      expect((await chat(BOB, 'groq/llama-3')).status).toBe(200);
      expect((await chat(BOB, 'groq/llama-3')).status).toBe(200);
      const before = up.requests.length;
      const res = await chat(BOB, 'groq/llama-3');
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await errorOf(res))).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_error' });
      expect(up.requests.length).toBe(before);
    });

    it('shows the official client a RateLimitError', async () => {
      const err = await client(BOB)
        .chat.completions.create({ model: 'groq/llama-3', messages: hello })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    });

    it('counts GET /v1/models against the key’s requests_per_minute', async () => {
      const list = () => fetch(`${router.url}/v1/models`, { headers: bearer(ERIN) });
      expect((await list()).status).toBe(200);
      expect((await list()).status).toBe(200);
      const res = await list();
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(await errorOf(res)).toMatchObject({ code: 'rate_limit_exceeded' });
    });

    it('keeps other keys unaffected by one key’s limit', async () => {
      expect((await chat(ALICE, 'ollama/llama3.2')).status).toBe(200);
      expect((await chat(ROUTER_KEY, 'groq/llama-3')).status).toBe(200);
    });

    it('counts usage.total_tokens after each response and blocks new requests once tokens_per_minute is spent', async () => {
      // The fake upstream reports total_tokens 7 per completion; the budget is 10.
      expect((await chat(CAROL, 'ollama/a')).status).toBe(200);
      await waitForTokens('carol', 7);
      expect((await chat(CAROL, 'ollama/a')).status).toBe(200);
      await waitForTokens('carol', 14);
      const before = up.requests.length;
      const res = await chat(CAROL, 'ollama/a');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await errorOf(res)).code).toBe('rate_limit_exceeded');
      expect(up.requests.length).toBe(before);
    });

    it('counts a stream’s tokens when it ends', async () => {
      up.handle((req, res) =>
        sse(res, [chunk(req.body.model, 'Hel'), chunk(req.body.model, 'lo'), { ...chunk(req.body.model, ''), choices: [], usage: { prompt_tokens: 30, completion_tokens: 10, total_tokens: 40 } }]),
      );
      try {
        const stream = await client(DAVE).chat.completions.create({ model: 'ollama/a', messages: hello, stream: true });
        let text = '';
        for await (const part of stream) text += part.choices[0]?.delta?.content ?? '';
        expect(text).toBe('Hello');
        await waitForTokens('dave', 40);
        expect((await chat(DAVE, 'ollama/a')).status).toBe(429);
      } finally {
        up.handle(undefined);
      }
    });
  });

  describe('GET /v1/usage', () => {
    it('shows the router key every key’s requests and tokens per model in the current minute and day', async () => {
      const report = await usage(ROUTER_KEY);
      expect(report.shared).toBe(false);
      expect(report.windows.map((w) => w.window)).toEqual(['minute', 'day']);
      const [minute, day] = report.windows as Array<(typeof report.windows)[number] & { start: string; end: string }>;
      expect(Date.parse(minute.end) - Date.parse(minute.start)).toBe(60_000);
      expect(Date.parse(minute.start) % 60_000).toBe(0);
      expect(Date.parse(minute.start)).toBeLessThanOrEqual(Date.now());
      // Asserted on the day window: a minute boundary may have fallen since the first request.
      const rows = day.data;
      expect(rows).toContainEqual({ key: 'alice', model: 'o1', requests: 1, prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
      expect(rows).toContainEqual({ key: 'bob', model: 'groq/llama-3', requests: 2, prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 });
      expect(rows).toContainEqual({ key: 'carol', model: 'ollama/a', requests: 2, prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 });
      expect(rows).toContainEqual({ key: 'dave', model: 'ollama/a', requests: 1, prompt_tokens: 30, completion_tokens: 10, total_tokens: 40 });
      expect(rows.some((r) => r.key === 'default')).toBe(true);
      // Refused requests (403, 429) were never forwarded and are not usage.
      expect(rows.find((r) => r.key === 'alice' && r.model === 'groq/deepseek-r1')).toBeUndefined();
    });

    it('shows a team key only its own usage, also at /usage', async () => {
      for (const path of ['/v1/usage', '/usage']) {
        const report = await usage(ALICE, path);
        const keys = new Set(report.windows.flatMap((w) => w.data.map((r) => r.key)));
        expect([...keys]).toEqual(['alice']);
      }
    });

    it('needs a key', async () => {
      expect((await fetch(`${router.url}/v1/usage`)).status).toBe(401);
    });
  });
});

describe('failed authentication limit per client address', () => {
  let up: FakeUpstream;
  let router: RunningRouter;
  const get = (headers: Record<string, string>) => fetch(`${router.url}/v1/models`, { headers });

  beforeAll(async () => {
    up = await FakeUpstream.start();
    router = await startRouter({
      backends: [backend('ollama', up.url, { default: true })],
      api_keys: [{ name: 'alice', key_sha256: hex(ALICE) }],
      auth_failures_per_minute: 5,
    });
  });
  afterAll(async () => {
    await router?.close();
    await up?.close();
  });

  it('answers 401 to the first wrong keys, then 429 with retry-after, and still accepts valid keys', async () => {
    for (let i = 0; i < 5; i++) expect((await get(bearer(`rsk_guess_${i}`))).status).toBe(401);
    const limited = await get(bearer('rsk_guess_6'));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await limited.json()) as { error: unknown };
    expect(body.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_error' });
    expect(JSON.stringify(body)).not.toContain('rsk_guess_6');
    // A near miss of a real key is refused the same way as an unknown one.
    expect((await get(bearer(`${ALICE}x`))).status).toBe(429);
    expect((await get(bearer(ALICE))).status).toBe(200);
    expect((await get(auth)).status).toBe(200);
  });

  it('does not let a client escape the limit by sending X-Forwarded-For when no proxy is trusted', async () => {
    expect((await get({ ...bearer('rsk_guess_7'), 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
  });
});
