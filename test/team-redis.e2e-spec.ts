import { FakeUpstream } from './fake-upstream';
import { backend } from './router-harness';
import { Proc, sha256, startRedis, startRouterProcess, writeConfig } from './team-processes';

// Real redis-server and real router processes: the limit and the usage are shared by replicas, and
// a router whose Redis dies keeps serving on in-memory limits, saying so once.

jest.setTimeout(90_000);

const ROUTER_KEY = 'rsk_team_router_key_0123456789';
const ALICE = 'rsk_alice_0123456789abcdef';
const BOB = 'rsk_bob_0123456789abcdef';

const chat = (url: string, key: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'ollama/m', messages: [{ role: 'user', content: 'hi' }] }),
  });

type Usage = { shared: boolean; windows: Array<{ window: string; data: Array<{ key: string; requests: number }> }> };
const usage = async (url: string): Promise<Usage> =>
  (await fetch(`${url}/v1/usage`, { headers: { Authorization: `Bearer ${ROUTER_KEY}` } })).json() as Promise<Usage>;
const dayRequests = (u: Usage, key: string) =>
  u.windows.find((w) => w.window === 'day')!.data.filter((r) => r.key === key).reduce((n, r) => n + r.requests, 0);

describe('two router replicas sharing one Redis', () => {
  const LIMIT = 5;
  let up: FakeUpstream;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let routers: Array<{ proc: Proc; url: string }> = [];

  beforeAll(async () => {
    up = await FakeUpstream.start();
    redis = await startRedis();
    const config = writeConfig({
      backends: [backend('ollama', up.url, { default: true })],
      redis_url: redis.url,
      api_keys: [{ name: 'alice', key_sha256: sha256(ALICE), rate_limit: { requests_per_minute: LIMIT } }],
    });
    routers = await Promise.all([startRouterProcess(config, ROUTER_KEY), startRouterProcess(config, ROUTER_KEY)]);
  });
  afterAll(async () => {
    await Promise.all(routers.map((r) => r.proc.stop()));
    await redis?.proc.stop();
    await up?.close();
  });

  it('enforces one requests_per_minute across both: N accepted in total, the rest 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 2 * LIMIT + 2; i++) statuses.push((await chat(routers[i % 2].url, ALICE)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(LIMIT + 2);
    expect(statuses.slice(0, LIMIT).every((s) => s === 200)).toBe(true);
    expect(up.requests.filter((r) => r.method === 'POST')).toHaveLength(LIMIT);
  });

  it('reports the same usage from either replica', async () => {
    let seen: number[] = [];
    for (let i = 0; i < 100; i++) {
      const reports = await Promise.all(routers.map((r) => usage(r.url)));
      expect(reports.every((u) => u.shared)).toBe(true);
      seen = reports.map((u) => dayRequests(u, 'alice'));
      if (seen.every((n) => n === LIMIT)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toEqual([LIMIT, LIMIT]);
  });
});

describe('a router whose Redis goes down', () => {
  let up: FakeUpstream;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let router: { proc: Proc; url: string };
  const DOWN = /Redis at 127\.0\.0\.1:\d+ is unreachable/;
  const BACK = /Redis at 127\.0\.0\.1:\d+ is back/;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    redis = await startRedis();
    const config = writeConfig({
      backends: [backend('ollama', up.url, { default: true })],
      redis_url: redis.url,
      api_keys: [
        { name: 'alice', key_sha256: sha256(ALICE), rate_limit: { requests_per_minute: 1000 } },
        { name: 'bob', key_sha256: sha256(BOB), rate_limit: { requests_per_minute: 2 } },
      ],
    });
    router = await startRouterProcess(config, ROUTER_KEY);
    await router.proc.waitFor(/Redis at 127\.0\.0\.1:\d+ connected/);
  });
  afterAll(async () => {
    await router?.proc.stop();
    await redis?.proc.stop();
    await up?.close();
  });

  it('keeps serving on in-memory limits, logs it once, and logs once when Redis is back', async () => {
    expect((await chat(router.url, ALICE)).status).toBe(200);
    expect((await usage(router.url)).shared).toBe(true);

    await redis.proc.stop('SIGKILL');
    for (let i = 0; i < 5; i++) expect((await chat(router.url, ALICE)).status).toBe(200);
    await router.proc.waitFor(DOWN);
    // The limit still holds, now counted in this process.
    const bob = [];
    for (let i = 0; i < 4; i++) bob.push((await chat(router.url, BOB)).status);
    expect(bob).toEqual([200, 200, 429, 429]);
    expect((await usage(router.url)).shared).toBe(false);
    // Several reconnect attempts fail meanwhile; still a single line.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(router.proc.linesMatching(DOWN)).toHaveLength(1);
    expect(router.proc.linesMatching(DOWN)[0]).toMatch(/in-memory limits/);

    redis = await startRedis(redis.port);
    await router.proc.waitFor(BACK, 20_000);
    expect((await chat(router.url, ALICE)).status).toBe(200);
    expect((await usage(router.url)).shared).toBe(true);
    expect(router.proc.linesMatching(BACK)).toHaveLength(1);
    expect(router.proc.linesMatching(DOWN)).toHaveLength(1);
  });
});
