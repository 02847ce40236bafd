import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeUpstream } from './fake-upstream';
import { backend } from './router-harness';
import { chatFresh, dayUsage, eventually, REPLICAS_ROUTER_KEY } from './replicas-support';
import { freePort, Proc, sha256, startRedis, startRouterProcess, writeConfig } from './team-processes';

// Three router processes whose Redis is not there when they start, appears later, dies mid-run and comes
// back: no request is refused over it, each router says so once per change, and the usage counted while
// Redis was away reaches it once (a Redis with an append-only file, so what it had before dying stays).

jest.setTimeout(120_000);

const ALICE = 'rsk_outage_alice_0123456789abc';
const DOWN = /Redis at 127\.0\.0\.1:\d+ is unreachable/;
const JOINED = /Redis at 127\.0\.0\.1:\d+ (connected|is back)/;
const BACK = /Redis at 127\.0\.0\.1:\d+ is back/;

describe('three replicas while Redis comes and goes', () => {
  let up: FakeUpstream;
  let redisPort: number;
  const redisDir = mkdtempSync(join(tmpdir(), 'llmrouter-redis-'));
  let redis: Proc | undefined;
  let routers: Array<{ proc: Proc; url: string }> = [];
  let sent = 0;

  /** `n` requests from alice spread over the replicas, each over a fresh connection; all must be served. */
  async function load(n: number): Promise<void> {
    const statuses = await Promise.all(Array.from({ length: n }, (_, i) => chatFresh(routers[i % routers.length].url, ALICE)));
    expect(statuses).toEqual(statuses.map(() => 200));
    sent += n;
  }
  const usageEverywhere = () => Promise.all(routers.map((r) => dayUsage(r.url, 'alice')));
  const allShared = (n: number) => (all: Array<{ shared: boolean; requests: number }>) => all.every((u) => u.shared && u.requests === n);

  beforeAll(async () => {
    up = await FakeUpstream.start();
    redisPort = await freePort(); // nothing listens there yet
    const config = writeConfig({
      backends: [backend('ollama', up.url, { default: true })],
      redis_url: `redis://127.0.0.1:${redisPort}`,
      api_keys: [{ name: 'alice', key_sha256: sha256(ALICE), rate_limit: { requests_per_minute: 1000 } }],
    });
    routers = await Promise.all([0, 1, 2].map(() => startRouterProcess(config, REPLICAS_ROUTER_KEY)));
  });
  afterAll(async () => {
    await Promise.all(routers.map((r) => r.proc.stop()));
    await redis?.stop();
    await up?.close();
  });

  it('serves with local state before Redis exists, and joins it when it appears without a restart', async () => {
    await load(6);
    // Each replica counts the two it served (a request counts once its answer has ended).
    const alone = await eventually(usageEverywhere, (all) => all.every((u) => u.requests === 2));
    expect(alone).toEqual(routers.map(() => ({ shared: false, requests: 2, tokens: 14 })));

    redis = (await startRedis(redisPort, redisDir)).proc;
    await Promise.all(routers.map((r) => r.proc.waitFor(JOINED)));
    // What each replica counted alone is sent to Redis: every replica now reports all six.
    const after = await eventually(usageEverywhere, allShared(sent));
    expect(after).toEqual(routers.map(() => ({ shared: true, requests: 6, tokens: 42 })));
    await load(3);
    expect(await eventually(usageEverywhere, allShared(sent))).toEqual(routers.map(() => ({ shared: true, requests: 9, tokens: 63 })));
  });

  it('costs no request when Redis dies mid-run, and usage counted meanwhile reaches Redis once it is back', async () => {
    await redis!.stop('SIGKILL');
    await load(9);
    await Promise.all(routers.map((r) => r.proc.waitFor(DOWN)));
    await load(6);
    for (const u of await usageEverywhere()) expect(u.shared).toBe(false);

    redis = (await startRedis(redisPort, redisDir)).proc;
    await Promise.all(routers.map((r) => r.proc.waitFor(BACK, 30_000)));
    // Before the outage 9, during it 15: each counted once, not lost and not twice.
    expect(await eventually(usageEverywhere, allShared(sent))).toEqual(routers.map(() => ({ shared: true, requests: 24, tokens: 168 })));
    await load(3);
    expect(await eventually(usageEverywhere, allShared(sent))).toEqual(routers.map(() => ({ shared: true, requests: 27, tokens: 189 })));
    for (const r of routers) {
      expect(r.proc.linesMatching(DOWN)).toHaveLength(2); // once before Redis existed, once for the outage
      expect(r.proc.linesMatching(BACK)).toHaveLength(2);
    }
  });
});
