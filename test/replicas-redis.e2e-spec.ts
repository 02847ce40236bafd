import type { ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { chunk, defaultAnswer, FakeUpstream } from './fake-upstream';
import { backend } from './router-harness';
import { chatFresh, dayUsage, eventually, getJson, REPLICAS_ROUTER_KEY } from './replicas-support';
import { chatRequests, scriptChat } from './responses-upstream';
import { Proc, sha256, startRedis, startRouterProcess, writeConfig } from './team-processes';

// Three router processes and one redis-server, as three pods behind a load balancer: load spread over
// fresh connections, and every figure (limits, token budgets, usage, dashboard, stored responses) is
// what one router would show. Then one replica dies: the others go on and still have what it stored.

jest.setTimeout(120_000);

const ALICE = 'rsk_replicas_alice_0123456789ab';
const BOB = 'rsk_replicas_bob_0123456789abcd';
const RPM = 10;
/** The fake upstream's answers count 7 tokens: the budget is spent by the third request. */
const TPM = 20;

describe('three replicas sharing one Redis behave as one router', () => {
  let up: FakeUpstream;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let routers: Array<{ proc: Proc; url: string }> = [];
  let upstreamTail: ServerResponse | undefined;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    redis = await startRedis();
    const config = writeConfig({
      backends: [backend('ollama', up.url, { default: true })],
      redis_url: redis.url,
      responses_store: { ttl_seconds: 600 },
      api_keys: [
        { name: 'alice', key_sha256: sha256(ALICE), rate_limit: { requests_per_minute: RPM } },
        { name: 'bob', key_sha256: sha256(BOB), rate_limit: { tokens_per_minute: TPM } },
      ],
    });
    routers = await Promise.all([0, 1, 2].map(() => startRouterProcess(config, REPLICAS_ROUTER_KEY)));
    await Promise.all(routers.map((r) => r.proc.waitFor(/Redis at 127\.0\.0\.1:\d+ connected/)));
  });
  afterAll(async () => {
    upstreamTail?.destroy();
    await Promise.all(routers.map((r) => r.proc.stop()));
    await redis?.proc.stop();
    await up?.close();
  });

  it('enforces one requests_per_minute under concurrent load through all three: no overshoot', async () => {
    const before = chatRequests(up).length;
    const statuses = await Promise.all(Array.from({ length: 3 * RPM }, (_, i) => chatFresh(routers[i % 3].url, ALICE)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(RPM);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2 * RPM);
    expect(chatRequests(up).length - before).toBe(RPM);
  });

  it('reports the same usage from every replica: each request counted once', async () => {
    const reports = await eventually(
      () => Promise.all(routers.map((r) => dayUsage(r.url, 'alice'))),
      (all) => all.every((u) => u.requests === RPM),
    );
    expect(reports).toEqual(routers.map(() => ({ shared: true, requests: RPM, tokens: 7 * RPM })));
  });

  it('charges a token budget once per request, whichever replica served it', async () => {
    const used = (r: { url: string }) => getJson(r.url, '/ui/api/usage', BOB).then((u) => u.keys[0].limits[0].used as number);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(await chatFresh(routers[i].url, BOB));
      // A response's tokens are charged once it has ended: wait until every replica sees the charge.
      const seen = await eventually(() => Promise.all(routers.map(used)), (all) => all.every((n) => n === 7 * (i + 1)));
      expect(seen).toEqual([7, 7, 7].map((n) => n * (i + 1)));
    }
    for (const r of routers) statuses.push(await chatFresh(r.url, BOB));
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
  });

  it("shows every replica's traffic and recent requests on the dashboard of each", async () => {
    // Requests so far: 3*RPM from alice (RPM forwarded) and 6 from bob (3 forwarded).
    const forwarded = chatRequests(up).length;
    const backends = await eventually(
      () => Promise.all(routers.map((r) => getJson(r.url, '/ui/api/backends'))),
      (all) => all.every((b) => b.data[0].requests_15m === forwarded),
    );
    for (const b of backends) {
      expect(b.shared).toBe(true);
      expect(b.data[0]).toMatchObject({ name: 'ollama', requests_15m: forwarded, errors_15m: 0 });
      expect(b.data[0].series.requests.reduce((n: number, x: number) => n + x, 0)).toBe(forwarded);
      expect(b.data[0].series.ttfb_p50_ms.some((v: number | null) => v !== null)).toBe(true);
    }
    const lines = await Promise.all(routers.map((r) => getJson(r.url, '/ui/api/requests')));
    for (const l of lines) {
      expect(l.shared).toBe(true);
      expect(l.data).toHaveLength(3 * RPM + 6);
      expect(l.data.filter((x: any) => x.key === 'alice' && x.status === 200)).toHaveLength(RPM);
      expect(l.data.filter((x: any) => x.status === 429)).toHaveLength(2 * RPM + 3);
    }
    expect(lines[1].data).toEqual(lines[0].data);
    expect(lines[2].data).toEqual(lines[0].data);
  });

  it('continues a stored conversation through any replica, also after the replica that stored it died', async () => {
    const clients = routers.map((r) => new OpenAI({ baseURL: `${r.url}/v1`, apiKey: REPLICAS_ROUTER_KEY, maxRetries: 0 }));
    scriptChat(up, [{ text: 'Noted: Ada.' }, { text: 'You are Ada.' }]);
    const first = await clients[0].responses.create({ model: 'ollama/m', input: 'My name is Ada.' });
    const second = await clients[1].responses.create({ model: 'ollama/m', previous_response_id: first.id, input: 'Who am I?' });
    expect(second.output_text).toBe('You are Ada.');

    // Replica 0 holds an open stream when it is killed outright (no drain: SIGKILL).
    up.handle((req, res) => {
      if (!req.body?.stream) return defaultAnswer(up, req, res);
      upstreamTail = res;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk(req.body.model, 'Hel'))}\n\n`); // and never ends
    });
    const stream = await clients[0].chat.completions.create({ model: 'ollama/m', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const reader = stream[Symbol.asyncIterator]();
    expect((await reader.next()).value?.choices[0].delta.content).toBe('Hel');
    await routers[0].proc.stop('SIGKILL');
    // The client's stream ends with an error, not a hang.
    await expect(reader.next()).rejects.toThrow();

    up.handle(undefined);
    scriptChat(up, [{ text: 'Still Ada.' }]);
    const third = await clients[2].responses.create({ model: 'ollama/m', previous_response_id: second.id, input: 'And now?' });
    expect(third.output_text).toBe('Still Ada.');
    expect(chatRequests(up).at(-1)!.body.messages).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'Noted: Ada.' },
      { role: 'user', content: 'Who am I?' },
      { role: 'assistant', content: 'You are Ada.' },
      { role: 'user', content: 'And now?' },
    ]);
    expect((await clients[1].responses.retrieve(first.id)).output_text).toBe('Noted: Ada.');
    expect(await Promise.all([chatFresh(routers[1].url, REPLICAS_ROUTER_KEY), chatFresh(routers[2].url, REPLICAS_ROUTER_KEY)])).toEqual([200, 200]);
  });
});
