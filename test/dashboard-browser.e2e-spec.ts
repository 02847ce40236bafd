/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { Chromium } from './chromium';
import { FakeUpstream, json } from './fake-upstream';
import { backend } from './router-harness';
import { freePort, Proc, startRedis, startRouterProcess } from './team-processes';

// The dashboard in a real browser: two built router replicas sharing Redis, fake upstreams, traffic
// from three keys, then headless Chromium signs in as the admin, as a team key and with a wrong key.
// The admin view is saved as a screenshot: docs/dashboard.png (the README's) with UPDATE_SCREENSHOT=1,
// else in a temporary folder, so a test run leaves the tracked file alone.

jest.setTimeout(180_000);

const ROUTER_KEY = 'rsk_browser_router_key_0123456789';
const KEYS = { alice: 'rsk_alice_browser_0123456789', bob: 'rsk_bob_browser_0123456789', 'ci-bot': 'rsk_ci_bot_browser_0123456789' };
const hex = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');
const UPDATE_SCREENSHOT = process.env.UPDATE_SCREENSHOT === '1';
const SCREENSHOT = UPDATE_SCREENSHOT ? resolve(__dirname, '../docs/dashboard.png') : join(tmpdir(), `llmrouter-dashboard-${process.pid}.png`);
const DAY = 86_400_000;
const HOSTILE_MODEL = 'ollama/<img src=x id=injected>';

describe('the dashboard in headless Chromium', () => {
  let up: FakeUpstream;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let replicas: Array<{ proc: Proc; url: string }> = [];
  let browser: Chromium;
  /** Requests that count as usage: forwarded ones (a request refused before routing is not usage). */
  let forwarded = 0;
  /** Every request sent, refused ones included: each is a line of the recent requests. */
  let sent = 0;

  const chat = async (url: string, key: string, model: string, i: number) => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: `question ${i}` }] }),
    });
    await res.arrayBuffer();
    if (res.status !== 403) forwarded++;
    sent++;
    return res.status;
  };

  /** Today's traffic, spread over both replicas, in small concurrent batches. */
  const sendTraffic = async () => {
    const plan: Array<[string, string]> = [];
    for (let i = 0; i < 12; i++) plan.push([KEYS.alice, i % 3 === 0 ? 'ollama/qwen2.5-coder' : 'ollama/llama3.2']);
    for (let i = 0; i < 8; i++) plan.push([KEYS.bob, 'ollama/qwen2.5-coder']);
    for (let i = 0; i < 5; i++) plan.push([KEYS['ci-bot'], 'ollama/llama3.2']);
    plan.push([ROUTER_KEY, 'groq/llama-3.3-70b'], [ROUTER_KEY, 'groq/llama-3.3-70b'], [KEYS.alice, 'groq/llama-3.3-70b'], [KEYS.bob, HOSTILE_MODEL]);
    for (let i = 0; i < plan.length; i += 5) {
      await Promise.all(plan.slice(i, i + 5).map(([key, model], j) => chat(replicas[(i + j) % 2].url, key, model, i + j)));
    }
  };

  const signIn = async (key: string) => {
    await browser.call('focus', { selector: '#key' });
    await browser.call('type', { text: key });
    await browser.call('press', { key: 'Enter' });
  };

  beforeAll(async () => {
    up = await FakeUpstream.start();
    up.models = ['llama3.2', 'qwen2.5-coder'];
    // Answers take 30 to 180 ms and use a varying number of tokens, like a real model.
    let n = 0;
    up.handle((req, res) => {
      if (req.method === 'GET') return json(res, 200, { object: 'list', data: up.models.map((id) => ({ id, object: 'model' })) });
      const i = n++;
      setTimeout(() => {
        const usage = { prompt_tokens: 40 + (i % 9) * 31, completion_tokens: 20 + (i % 5) * 47 };
        json(res, 200, {
          id: `chatcmpl-${i}`,
          object: 'chat.completion',
          created: 1,
          model: req.body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        });
      }, 30 + (i % 6) * 30);
    });
    redis = await startRedis();
    const dir = mkdtempSync(join(tmpdir(), 'llmrouter-browser-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        redis_url: redis.url,
        backends: [
          backend('ollama', up.url, { default: true }),
          backend('groq', `http://127.0.0.1:${await freePort()}/v1`, { retries: 0 }),
        ],
        api_keys: [
          { name: 'alice', key_sha256: hex(KEYS.alice), allowed_models: ['ollama/*'], rate_limit: { requests_per_minute: 60 } },
          { name: 'bob', key_sha256: hex(KEYS.bob), rate_limit: { tokens_per_minute: 20_000 } },
          { name: 'ci-bot', key_sha256: hex(KEYS['ci-bot']) },
        ],
      }),
    );
    replicas = await Promise.all([startRouterProcess(configPath, ROUTER_KEY), startRouterProcess(configPath, ROUTER_KEY)]);

    // Earlier days of the week, as the replicas would have written them to the shared Redis.
    const seed = new Redis(redis.url);
    const today = Math.floor(Date.now() / DAY) * DAY;
    for (let d = 1; d <= 6; d++) {
      const base = `llmrouter:usage:day:${today - d * DAY}`;
      for (const [key, model, requests] of [['alice', 'ollama/llama3.2', 40 + d * 9], ['bob', 'ollama/qwen2.5-coder', 25 + (d % 3) * 20], ['ci-bot', 'ollama/llama3.2', 12 + d * 2]] as const) {
        const field = JSON.stringify([key, model]);
        await seed.hincrby(`${base}:requests`, field, requests);
        await seed.hincrby(`${base}:prompt_tokens`, field, requests * 180);
        await seed.hincrby(`${base}:completion_tokens`, field, requests * 95);
        await seed.hincrby(`${base}:tokens`, field, requests * 275);
      }
    }
    seed.disconnect();

    browser = await Chromium.launch();
    await browser.call('viewport', { width: 1280, height: 900 });
    await browser.call('colorScheme', { scheme: 'light' });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(replicas.map((r) => r.proc.stop()));
    await redis?.proc.stop();
    await up?.close();
    if (!UPDATE_SCREENSHOT) rmSync(SCREENSHOT, { force: true });
  });

  it('keeps a wrong key on the sign-in form', async () => {
    const dashboard = replicas[0].url;
    expect(await browser.call('goto', { url: `${dashboard}/ui` })).toBe(200);
    await signIn('rsk_not_a_key_at_all');
    await browser.waitFor(() => document.querySelector('#sign-in-error')!.textContent!.includes('not accepted'));
    expect(
      await browser.evaluate(() => ({
        form: !(document.querySelector('#sign-in-view') as HTMLElement).hidden,
        dashboard: !(document.querySelector('#dashboard') as HTMLElement).hidden,
        stored: sessionStorage.length,
        rows: document.querySelectorAll('#dashboard tbody tr').length,
      })),
    ).toEqual({ form: true, dashboard: false, stored: 0, rows: 0 });
  });

  it('works before any traffic, with a backend down', async () => {
    await signIn(ROUTER_KEY);
    await browser.waitFor(() => document.querySelectorAll('#backend-list [data-backend]').length === 2 && document.querySelectorAll('#usage-keys tbody tr').length === 4);
    expect(
      await browser.evaluate(() => ({
        requests: document.querySelector('#request-list')!.textContent,
        today: document.querySelector('#usage-tiles .tile-value')!.textContent,
        groq: document.querySelector('[data-backend="groq"] .pills')!.textContent,
        latencyPoints: Number((document.querySelector('[data-backend="ollama"] .chart') as HTMLElement).dataset.points),
      })),
    ).toEqual({ requests: 'No requests yet.', today: '0', groq: expect.stringContaining('down'), latencyPoints: 0 });
    await browser.call('click', { selector: '#sign-out' });
    await browser.waitFor(() => !(document.querySelector('#sign-in-view') as HTMLElement).hidden);
  });

  it('shows the admin every backend, the usage of every replica and charts with data points', async () => {
    await sendTraffic();
    await signIn(ROUTER_KEY);
    await browser.waitFor(() => document.querySelectorAll('#backend-list [data-backend]').length === 2);
    // Today's requests from both replicas (read from Redis), not just the one serving the page.
    await browser.waitFor((n) => document.querySelector('#usage-tiles .tile-value')?.textContent === String(n), forwarded);
    await browser.waitFor(() => Number((document.querySelector('#chart-requests') as HTMLElement).dataset.points) > 0);
    // Every request line of both replicas, though each answered half and the page comes from replica 0.
    await browser.waitFor((n) => document.querySelectorAll('#request-list tbody tr').length === n, sent);
    const view = await browser.evaluate(() => {
      const card = (name: string) => document.querySelector(`[data-backend="${name}"]`) as HTMLElement;
      const chart = card('ollama').querySelector('.chart') as HTMLElement;
      return {
        ollama: card('ollama').querySelector('.pills')!.textContent,
        groq: card('groq').querySelector('.pills')!.textContent,
        latencyPoints: Number(chart.dataset.points),
        latencyCanvas: chart.querySelector('canvas')?.width ?? 0,
        requestPoints: Number((document.querySelector('#chart-requests') as HTMLElement).dataset.points),
        tokenPoints: Number((document.querySelector('#chart-tokens') as HTMLElement).dataset.points),
        keys: [...document.querySelectorAll('#usage-keys tbody tr td:first-child')].map((td) => td.textContent),
        meters: document.querySelectorAll('#usage-keys meter').length,
        models: [...document.querySelectorAll('#usage-models tbody tr td:first-child')].map((td) => td.textContent),
        requestRows: document.querySelectorAll('#request-list tbody tr').length,
        backendsScope: document.querySelector('#backends-scope')!.textContent,
        injected: document.querySelector('#injected') !== null,
        url: location.href,
        cookie: document.cookie,
        stored: Object.keys(sessionStorage).length,
      };
    });
    expect(view.ollama).toContain('up');
    expect(view.groq).toContain('down');
    expect(view.latencyPoints).toBeGreaterThan(0);
    expect(view.latencyCanvas).toBeGreaterThan(0);
    // Seven days of requests per key, and input and output tokens per day.
    expect(view.requestPoints).toBeGreaterThanOrEqual(7);
    expect(view.tokenPoints).toBe(14);
    expect(view.keys).toEqual(['default', 'alice', 'bob', 'ci-bot']);
    expect(view.meters).toBe(2);
    expect(view.models).toEqual(expect.arrayContaining(['ollama/llama3.2', 'ollama/qwen2.5-coder', HOSTILE_MODEL]));
    expect(view.requestRows).toBe(sent);
    expect(view.backendsScope).toMatch(/every replica/);
    // A model name from a client is shown as text, never parsed as markup.
    expect(view.injected).toBe(false);
    expect(view.url).toBe(`${replicas[0].url}/ui`);
    expect(view.cookie).toBe('');
    expect(view.stored).toBe(1);
  });

  it('filters recent requests to errors only', async () => {
    await browser.call('click', { selector: '#errors-only' });
    await browser.waitFor(() => {
      const statuses = [...document.querySelectorAll('#request-list tbody td:nth-child(5)')].map((td) => td.textContent ?? '');
      return statuses.length > 0 && statuses.every((s) => Number(s.slice(0, 3)) >= 400);
    });
    await browser.call('click', { selector: '#errors-only' });
    await browser.waitFor(() => [...document.querySelectorAll('#request-list tbody td:nth-child(5)')].some((td) => td.textContent === '200'));
  });

  it('refreshes its numbers without reloading the page', async () => {
    await browser.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await chat(replicas[1].url, KEYS.alice, 'ollama/llama3.2', 99);
    await browser.waitFor((n) => document.querySelector('#usage-tiles .tile-value')?.textContent === String(n), forwarded);
    expect(await browser.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
  });

  it('keeps today’s shared usage in Redis for the whole week the dashboard shows', async () => {
    const client = new Redis(redis.url);
    try {
      const today = Math.floor(Date.now() / DAY) * DAY;
      const ttl = await client.pttl(`llmrouter:usage:day:${today}:requests`);
      expect(ttl).toBeGreaterThan(7 * DAY);
      expect(ttl).toBeLessThanOrEqual(8 * DAY);
      expect(Object.keys(await client.hgetall(`llmrouter:usage:day:${today}:prompt_tokens`)).length).toBeGreaterThanOrEqual(3);
    } finally {
      client.disconnect();
    }
  });

  it('loads nothing from outside the router and logs no errors', async () => {
    const { requested, problems } = await browser.call<{ requested: string[]; problems: string[] }>('seen');
    expect(requested.length).toBeGreaterThan(5);
    expect(requested.filter((url) => !url.startsWith(`${replicas[0].url}/ui`))).toEqual([]);
    // The wrong key's 401 is the one expected failure the browser reports.
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
  });

  it('saves a screenshot of the admin view', async () => {
    await browser.call('viewport', { width: 1280, height: 1700 });
    await browser.waitFor(() => Number((document.querySelector('#chart-tokens') as HTMLElement).dataset.points) > 0);
    await browser.evaluate(() => window.scrollTo(0, 0));
    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    await browser.call('screenshot', { path: SCREENSHOT, fullPage: false });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(50_000);
  });

  it('fits a phone screen and follows dark mode', async () => {
    await browser.call('viewport', { width: 390, height: 844 });
    await browser.call('colorScheme', { scheme: 'dark' });
    await browser.waitFor(() => getComputedStyle(document.body).backgroundColor === 'rgb(17, 20, 24)');
    // Charts follow the new width once the resize settles; then nothing sticks out sideways.
    await browser.waitFor(() => document.documentElement.scrollWidth <= window.innerWidth);
    await browser.call('viewport', { width: 1280, height: 900 });
    await browser.call('colorScheme', { scheme: 'light' });
  });

  it('shows a team key only its own usage, limits and models, and no backends', async () => {
    await browser.call('click', { selector: '#sign-out' });
    await browser.waitFor(() => !(document.querySelector('#sign-in-view') as HTMLElement).hidden && sessionStorage.length === 0);
    // Signed out, the admin's numbers are gone from the page, not just hidden.
    expect(await browser.evaluate(() => document.querySelectorAll('#dashboard tr, #dashboard canvas, #dashboard [data-backend]').length)).toBe(0);
    await signIn(KEYS.alice);
    await browser.waitFor(() => document.querySelectorAll('#usage-keys tbody tr').length > 0 && document.querySelectorAll('#models li').length > 0);
    const view = await browser.evaluate(() => ({
      backendsHidden: (document.querySelector('#backends') as HTMLElement).hidden,
      keys: [...document.querySelectorAll('#usage-keys tbody tr td:first-child')].map((td) => td.textContent),
      requestKeys: [...new Set([...document.querySelectorAll('#request-list tbody td:nth-child(2)')].map((td) => td.textContent))],
      requestModels: [...document.querySelectorAll('#request-list tbody td:nth-child(3)')].map((td) => td.textContent),
      requestsScope: document.querySelector('#requests-scope')!.textContent,
      models: [...document.querySelectorAll('#models li')].map((li) => li.textContent),
      text: (document.querySelector('#dashboard') as HTMLElement).innerText,
      who: document.querySelector('#who')!.textContent,
    }));
    expect(view.backendsHidden).toBe(true);
    expect(view.keys).toEqual(['alice']);
    expect(view.requestKeys).toEqual(['alice']);
    expect(view.models).toEqual(['ollama/llama3.2', 'ollama/qwen2.5-coder']);
    expect(view.who).toBe('Signed in as alice');
    // Her own requests through both replicas (from Redis), the refused one for a model she may not use
    // included (replica 1 answered it; the page comes from replica 0).
    expect(view.requestsScope).toMatch(/every replica/);
    expect(view.requestModels).toContain('groq/llama-3.3-70b');
    for (const other of ['bob', 'ci-bot', 'default']) expect(view.text).not.toContain(other);
    // No backend: "groq" shows only as the model name she sent herself.
    expect(view.text.split('groq/llama-3.3-70b').join('')).not.toContain('groq');
  });
});
