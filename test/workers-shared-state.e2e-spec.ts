import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { FakeUpstream } from './fake-upstream';
import { spawnRouter, waitFor, type SpawnedRouter } from './ops-spawn';
import { backend } from './router-harness';
import { scriptChat, USAGE } from './responses-upstream';
import { sha256 } from './team-processes';

// `workers: 2` without Redis, as a team runs it on one machine: two worker processes behind one port,
// each request on a fresh connection (so the primary hands connections to the workers in turn). The
// router must answer as one process would: stored responses, limits, usage, metrics and the dashboard.

jest.setTimeout(120_000);

const ROUTER_KEY = 'rsk_workers_router_key_0123456789';
const ALICE = 'rsk_workers_alice_0123456789abcd';
const BOB = 'rsk_workers_bob_0123456789abcdefg';
const LIMIT = 3;
/** Each answer of the fake backend uses USAGE.total_tokens (29): two answers spend this budget. */
const TOKENS = 50;

/** No keep-alive: each request opens its own connection, so consecutive requests reach both workers. */
const fresh = new Agent({ pipelining: 0 });
const call = (url: string, init: { method?: string; key?: string; body?: unknown } = {}) =>
  undiciFetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    dispatcher: fresh,
    headers: { authorization: `Bearer ${init.key ?? ROUTER_KEY}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

/** Worker pids, from the kernel's list of the primary's children (Linux). */
const workerPids = (primary: number): number[] =>
  readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

const listening = (r: SpawnedRouter) => (r.stdout().match(/listening on/g) ?? []).length;

describe('workers: 2 without Redis behave as one process', () => {
  let up: FakeUpstream;
  let router: SpawnedRouter;
  let client: OpenAI;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    scriptChat(up, [{ text: 'Noted.' }]);
    router = await spawnRouter(
      {
        backends: [backend('ollama', up.url, { default: true })],
        workers: 2,
        api_keys: [
          { name: 'alice', key_sha256: sha256(ALICE), rate_limit: { requests_per_minute: LIMIT } },
          { name: 'bob', key_sha256: sha256(BOB), rate_limit: { tokens_per_minute: TOKENS } },
        ],
      },
      { LLMROUTER_API_KEY: ROUTER_KEY },
    );
    expect(await waitFor(() => listening(router) === 2, 30_000)).toBe(true);
    client = new OpenAI({
      baseURL: `${router.url}/v1`,
      apiKey: ROUTER_KEY,
      maxRetries: 0,
      fetch: ((url: string, init: object) => undiciFetch(url, { ...init, dispatcher: fresh })) as never,
    });
  });
  afterAll(async () => {
    router?.kill('SIGTERM');
    await router?.exited;
    await fresh.close();
    await up?.close();
  });

  it('finds a stored response through either worker: GET, previous_response_id and item_reference answer every time', async () => {
    const first = await client.responses.create({ model: 'ollama/m', input: [{ type: 'message', role: 'user', content: 'My name is Ada.' }] });
    const itemId = first.output[0].id!;
    const gets: number[] = [];
    for (let i = 0; i < 8; i++) gets.push((await call(`${router.url}/v1/responses/${first.id}`)).status);
    expect(gets).toEqual(Array(8).fill(200));

    for (let i = 0; i < 4; i++) {
      const next = await client.responses.create({ model: 'ollama/m', previous_response_id: first.id, input: 'Who am I?' });
      expect(next.output_text).toBe('Noted.');
      const byItem = await client.responses.create({ model: 'ollama/m', input: [{ type: 'item_reference', id: itemId } as never, { role: 'user', content: 'Again?' }] });
      expect(byItem.status).toBe('completed');
    }
    // Deleted through one worker: gone for both.
    expect((await call(`${router.url}/v1/responses/${first.id}`, { method: 'DELETE' })).status).toBe(200);
    const after: number[] = [];
    for (let i = 0; i < 4; i++) after.push((await call(`${router.url}/v1/responses/${first.id}`)).status);
    expect(after).toEqual([404, 404, 404, 404]);
  });

  it("holds a key's requests_per_minute for the whole router, not per worker", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT * 3; i++) {
      statuses.push((await call(`${router.url}/v1/chat/completions`, { key: ALICE, body: { model: 'ollama/m', messages: [{ role: 'user', content: 'hi' }] } })).status);
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(200), ...Array(LIMIT * 2).fill(429)]);
  });

  it("charges a key's tokens_per_minute once, whichever worker served the request, and refuses on every worker once spent", async () => {
    const ask = () => call(`${router.url}/v1/chat/completions`, { key: BOB, body: { model: 'ollama/m', messages: [{ role: 'user', content: 'hi' }] } });
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(200);
    // Charged when each answer ends: wait until the budget shows both, as read through either worker.
    const used = async () => {
      const view = (await (await call(`${router.url}/ui/api/usage`, { key: BOB })).json()) as { keys: Array<{ limits: Array<{ kind: string; used: number }> }> };
      return view.keys[0].limits.find((l) => l.kind === 'tokens_per_minute')!.used;
    };
    expect(await waitFor(async () => (await used()) === 2 * USAGE.total_tokens, 5_000)).toBe(true);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) seen.push(await used());
    expect(seen).toEqual(Array(4).fill(2 * USAGE.total_tokens));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await ask()).status);
    expect(statuses).toEqual([429, 429, 429, 429]);
  });

  it('answers /metrics, /v1/usage and the dashboard with every worker\'s requests, counted once', async () => {
    const N = 10;
    const before = await totals();
    for (let i = 0; i < N; i++) {
      expect((await call(`${router.url}/v1/chat/completions`, { body: { model: 'ollama/m', messages: [{ role: 'user', content: `n${i}` }] } })).status).toBe(200);
    }
    // Counted when each request ends (just after the answer): wait until the figures settle.
    let now = await totals();
    await waitFor(async () => (now = await totals()).usage >= before.usage + N, 5_000);
    // Several reads, each on a fresh connection: each worker answers with the same figures.
    for (let i = 0; i < 4; i++) {
      const t = await totals();
      expect(t.usage - before.usage).toBe(N);
      expect(t.metrics - before.metrics).toBe(N);
      expect(t.dashboard - before.dashboard).toBe(N);
      expect(t.backendRequests - before.backendRequests).toBe(N);
    }
  });

  it('replaces a killed worker after a delay, and the replacement sees the same state', async () => {
    const stored = await client.responses.create({ model: 'ollama/m', input: 'Remember me.' });
    const [victim] = workerPids(router.child.pid!);
    process.kill(victim, 'SIGKILL');
    expect(await waitFor(() => /worker \d+ died \(SIGKILL\); starting another in 500 ms/.test(router.stderr()), 10_000)).toBe(true);
    expect(await waitFor(() => listening(router) === 3, 30_000)).toBe(true);
    expect(workerPids(router.child.pid!)).not.toContain(victim);
    // The stored response lives in the primary: the new worker finds it as well as the old one.
    for (let i = 0; i < 4; i++) expect((await call(`${router.url}/v1/responses/${stored.id}`)).status).toBe(200);
    // Alice's minute is still spent, whichever worker answers.
    for (let i = 0; i < 2; i++) {
      expect((await call(`${router.url}/v1/chat/completions`, { key: ALICE, body: { model: 'ollama/m', messages: [{ role: 'user', content: 'hi' }] } })).status).toBe(429);
    }
  });

  /** The router key's chat requests as /v1/usage, /metrics and the dashboard show them. */
  async function totals() {
    const usage = (await (await call(`${router.url}/v1/usage`)).json()) as { windows: Array<{ window: string; data: Array<{ key: string; requests: number }> }> };
    const day = usage.windows.find((w) => w.window === 'day')!.data.filter((r) => r.key === 'default');
    const metricsText = await (await call(`${router.url}/metrics`)).text();
    const metrics = [...metricsText.matchAll(/^llmrouter_requests_total\{([^}]*)\} (\d+)/gm)]
      .filter(([, labels]) => labels.includes('key="default"') && labels.includes('status="200"'))
      .reduce((n, m) => n + Number(m[2]), 0);
    const lines = (await (await call(`${router.url}/ui/api/requests`)).json()) as { data: Array<{ key: string }> };
    const backends = (await (await call(`${router.url}/ui/api/backends`)).json()) as { data: Array<{ name: string; requests_15m: number }> };
    return {
      usage: day.reduce((n, r) => n + r.requests, 0),
      metrics,
      dashboard: lines.data.filter((l) => l.key === 'default').length,
      backendRequests: backends.data.find((b) => b.name === 'ollama')!.requests_15m,
    };
  }
});
