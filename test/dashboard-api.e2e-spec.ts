import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { FakeUpstream } from './fake-upstream';
import { freePort } from './ops-spawn';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// The dashboard's JSON behind /ui: what the admin, a team key and a wrong key see, and that no body
// ever carries a key, a backend address or a prompt.

const ADMIN_KEY = 'rsk_dashboard_admin_0123456789';
const ALICE = 'rsk_alice_dash_0123456789abcdef';
const BOB = 'rsk_bob_dash_0123456789abcdef';
const OLLAMA_BACKEND_KEY = 'ollama_backend_secret_4242';
const GROQ_BACKEND_KEY = 'gsk_groq_backend_secret_4242';
const URL_PASSWORD = 'urlpassword4242';
const PROMPT = 'PROMPT_MARKER_do_not_show_4242';
const hex = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

type Json = any;

describe('dashboard JSON endpoints', () => {
  let up: FakeUpstream;
  let router: RunningRouter;
  let downPort: number;
  /** Every JSON body the dashboard endpoints sent in this file. */
  const bodies: string[] = [];

  const get = async (path: string, key?: string): Promise<{ status: number; body: Json; headers: Headers }> => {
    const res = await fetch(`${router.url}${path}`, { headers: key === undefined ? {} : { Authorization: `Bearer ${key}` } });
    const text = await res.text();
    if (path.startsWith('/ui/api/')) bodies.push(text);
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text, headers: res.headers };
  };
  const chat = (key: string, model: string) =>
    new OpenAI({ baseURL: `${router.url}/v1`, apiKey: key, maxRetries: 0 }).chat.completions.create({
      model,
      messages: [{ role: 'user', content: PROMPT }],
    });

  /** Request lines are recorded when the response closes: wait (bounded) until the admin sees `n`. */
  const waitForLines = async (n: number) => {
    for (let i = 0; i < 100; i++) {
      if ((await get('/ui/api/requests', ROUTER_KEY)).body.data.length >= n) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`never saw ${n} request lines`);
  };

  beforeAll(async () => {
    up = await FakeUpstream.start();
    downPort = await freePort();
    router = await startRouter(
      {
        admin_api_key_env: 'DASHBOARD_ADMIN_KEY',
        backends: [
          backend('ollama', up.url, { default: true, key_env_var: 'OLLAMA_KEY' }),
          backend('groq', `http://admin:${URL_PASSWORD}@127.0.0.1:${downPort}/v1`, { key_env_var: 'GROQ_KEY', retries: 0 }),
        ],
        api_keys: [
          { name: 'alice', key_sha256: hex(ALICE), allowed_models: ['ollama/*'], rate_limit: { requests_per_minute: 50 } },
          { name: 'bob', key_env: 'BOB_KEY', rate_limit: { tokens_per_minute: 10_000 } },
        ],
      },
      { DASHBOARD_ADMIN_KEY: ADMIN_KEY, BOB_KEY: BOB, OLLAMA_KEY: OLLAMA_BACKEND_KEY, GROQ_KEY: GROQ_BACKEND_KEY },
    );
    await chat(ALICE, 'ollama/llama3.2');
    await chat(ALICE, 'ollama/llama3.2');
    await chat(BOB, 'ollama/phi4');
    await chat(ROUTER_KEY, 'ollama/phi4');
    await expect(chat(ROUTER_KEY, 'groq/llama-3')).rejects.toBeInstanceOf(OpenAI.APIError);
    await expect(chat(ALICE, 'groq/llama-3')).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await waitForLines(6);
  });
  afterAll(async () => {
    await router?.close();
    await up?.close();
  });

  describe('the page', () => {
    it('serves the page, its scripts and uPlot from the router itself, without a key', async () => {
      const page = await get('/ui');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.body).toContain('<form id="sign-in"');
      expect(page.body).not.toMatch(/https?:\/\//);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      const uplot = await get('/ui/uPlot.iife.min.js');
      expect(uplot.status).toBe(200);
      expect(uplot.headers.get('content-type')).toMatch(/javascript/);
      expect(uplot.body).toContain('uPlot');
      for (const file of ['app.js', 'views.js', 'charts.js', 'app.css', 'uPlot.min.css']) expect((await get(`/ui/${file}`)).status).toBe(200);
    });

    it('serves nothing outside its fixed list of files', async () => {
      for (const path of ['/ui/package.json', '/ui/..%2Fmain.js', '/ui/dashboard.module.js']) {
        expect((await get(path)).status).toBe(404);
      }
    });
  });

  describe('who sees what', () => {
    const endpoints = ['/ui/api/me', '/ui/api/backends', '/ui/api/usage', '/ui/api/requests'];

    it('answers a missing or wrong key with 401 and no data', async () => {
      for (const path of endpoints) {
        for (const key of [undefined, 'rsk_wrong_key', `${ROUTER_KEY}x`]) {
          const res = await get(path, key);
          expect(res.status).toBe(401);
          expect(Object.keys(res.body)).toEqual(['error']);
        }
      }
    });

    it('shows the admin (router key or admin key) every backend with its state, traffic and latency series', async () => {
      for (const key of [ROUTER_KEY, ADMIN_KEY]) {
        expect((await get('/ui/api/me', key)).body).toMatchObject({ role: 'admin' });
        const { status, body } = await get('/ui/api/backends', key);
        expect(status).toBe(200);
        const [ollama, groq] = body.data;
        expect(ollama).toMatchObject({ name: 'ollama', prefix: 'ollama/', default: true, status: 'up', circuit: 'closed', in_flight: 0, errors_15m: 0 });
        expect(ollama.requests_15m).toBe(4);
        expect(ollama.requests_per_minute).toBeGreaterThanOrEqual(1);
        expect(ollama.error_rate).toBe(0);
        expect(ollama.series.t).toHaveLength(60);
        expect(ollama.series.ttfb_p50_ms.filter((v: number | null) => v !== null).length).toBeGreaterThanOrEqual(1);
        expect(ollama.series.overhead_p50_ms.filter((v: number | null) => v !== null).length).toBeGreaterThanOrEqual(1);
        expect(groq).toMatchObject({ name: 'groq', status: 'down', requests_15m: 1, errors_15m: 1, error_rate: 1 });
        expect(groq.reason).toMatch(/^[a-z_0-9]+$/);
      }
    });

    it('shows the admin every key’s usage today, per model, with input and output tokens and limits', async () => {
      const { body } = await get('/ui/api/usage', ADMIN_KEY);
      expect(body.days).toHaveLength(7);
      const today = body.days[6];
      expect(Date.parse(today.start)).toBeLessThanOrEqual(Date.now());
      expect(today.data).toContainEqual({ key: 'alice', model: 'ollama/llama3.2', requests: 2, prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 });
      expect(today.data).toContainEqual({ key: 'bob', model: 'ollama/phi4', requests: 1, prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
      expect(today.data.some((r: Json) => r.key === 'default')).toBe(true);
      expect(body.keys.map((k: Json) => k.name)).toEqual(['default', 'alice', 'bob']);
      const alice = body.keys.find((k: Json) => k.name === 'alice');
      expect(alice.allowed_models).toEqual(['ollama/*']);
      expect(alice.limits).toEqual([expect.objectContaining({ kind: 'requests_per_minute', limit: 50 })]);
      expect(alice.limits[0].used).toBeGreaterThanOrEqual(2);
      const bob = body.keys.find((k: Json) => k.name === 'bob');
      expect(bob.limits).toEqual([expect.objectContaining({ kind: 'tokens_per_minute', limit: 10_000, used: 7 })]);
    });

    it('shows the admin every recent request newest first, and only failures with errors=1', async () => {
      const all = (await get('/ui/api/requests', ROUTER_KEY)).body.data;
      expect(all.map((l: Json) => [l.key, l.model, l.status])).toEqual([
        ['alice', 'groq/llama-3', 403],
        ['default', 'groq/llama-3', 502],
        ['default', 'ollama/phi4', 200],
        ['bob', 'ollama/phi4', 200],
        ['alice', 'ollama/llama3.2', 200],
        ['alice', 'ollama/llama3.2', 200],
      ]);
      expect(all[2]).toMatchObject({ backend: 'ollama', prompt_tokens: 5, completion_tokens: 2, error_code: null });
      expect(all[2].ttfb_ms).toBeGreaterThan(0);
      expect(all[2].total_ms).toBeGreaterThanOrEqual(all[2].ttfb_ms);
      expect(all[1]).toMatchObject({ backend: 'groq', ttfb_ms: null });
      const errors = (await get('/ui/api/requests?errors=1', ROUTER_KEY)).body.data;
      expect(errors.map((l: Json) => l.status)).toEqual([403, 502]);
    });

    it('shows a team key only its own usage, limits, models and requests, and no backends', async () => {
      expect((await get('/ui/api/me', ALICE)).body).toEqual({ role: 'member', key: 'alice', models: ['ollama/model-a', 'ollama/model-b'] });
      const backends = await get('/ui/api/backends', ALICE);
      expect(backends.status).toBe(403);
      expect(Object.keys(backends.body)).toEqual(['error']);
      const usage = (await get('/ui/api/usage', ALICE)).body;
      expect(new Set(usage.days.flatMap((d: Json) => d.data.map((r: Json) => r.key)))).toEqual(new Set(['alice']));
      expect(usage.keys.map((k: Json) => k.name)).toEqual(['alice']);
      const lines = (await get('/ui/api/requests', ALICE)).body.data;
      expect(lines.map((l: Json) => l.key)).toEqual(['alice', 'alice', 'alice']);
      const bobUsage = (await get('/ui/api/usage', BOB)).body;
      expect(bobUsage.days[6].data).toEqual([{ key: 'bob', model: 'ollama/phi4', requests: 1, prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }]);
    });

    it('never sends a key, a key digest, a backend address or key, or a prompt in any body', async () => {
      for (const key of [ROUTER_KEY, ADMIN_KEY, ALICE, BOB]) for (const path of endpoints) await get(path, key);
      await get('/ui/api/requests?errors=1', ALICE);
      const secrets = [ROUTER_KEY, ADMIN_KEY, ALICE, BOB, hex(ALICE), hex(BOB), OLLAMA_BACKEND_KEY, GROQ_BACKEND_KEY, URL_PASSWORD, PROMPT, up.url, `127.0.0.1:${downPort}`, 'Bearer'];
      expect(bodies.length).toBeGreaterThan(40);
      for (const body of bodies) for (const secret of secrets) expect(body).not.toContain(secret);
    });

    it('never sends another key’s name or numbers to a team key', async () => {
      const mine: string[] = [];
      for (const path of endpoints) {
        const res = await fetch(`${router.url}${path}`, { headers: { Authorization: `Bearer ${ALICE}` } });
        mine.push(await res.text());
      }
      for (const body of mine) {
        expect(body).not.toContain('bob');
        expect(body).not.toContain('"default"');
        expect(body).not.toContain('ollama/phi4');
      }
    });
  });
});
