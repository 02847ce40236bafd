import { writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { chunk, FakeUpstream, type Handler } from './fake-upstream';
import { auth, ROUTER_KEY, startRouter, type RunningRouter } from './router-harness';
import { chatBody, post, sleep, waitFor } from './reliability-support';
import { RouterConfigService } from '../src/config/router-config.service';

// Session affinity: a request with a session key sticks to one member of the pool (rendezvous hashing),
// leaves it while it is down and comes back after; a reload that removes a member moves only its sessions.

const member = (name: string, url: string, extra: Record<string, unknown> = {}) => ({ name, base_url: url, prefix: 'ollama/', ...extra });
const KEYS = Array.from({ length: 24 }, (_, i) => `session-${i}`);

async function servedBy(url: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  await res.text();
  return res.headers.get('x-llmrouter-backend') ?? '?';
}

const withKey = (key: string) => chatBody('ollama/qwen3', false, { prompt_cache_key: key });

describe('session affinity', () => {
  const fakes: FakeUpstream[] = [];
  let router: RunningRouter | undefined;

  beforeEach(async () => {
    for (let i = 0; i < 3; i++) fakes.push(await FakeUpstream.start());
  });
  afterEach(async () => {
    await router?.close();
    router = undefined;
    await Promise.all(fakes.splice(0).map((f) => f.close().catch(() => undefined)));
  });

  const config = (names: string[], extra: Record<string, unknown> = {}) => ({
    backends: names.map((n) => member(n, fakes[['a', 'b', 'c'].indexOf(n)].url, extra)),
    load_balancing: { strategy: 'round_robin' },
  });

  it('sends the same session key to the same member every time, from each kind of client', async () => {
    router = await startRouter(config(['a', 'b', 'c']));
    const kinds: Array<[Record<string, unknown>, Record<string, string>]> = [
      [withKey('codex-1'), {}],
      [chatBody('ollama/qwen3'), { 'x-session-affinity': 'opencode-1' }],
      [chatBody('ollama/qwen3'), { 'session-id': 'codex-2' }],
      [chatBody('ollama/qwen3'), { 'x-claude-code-session-id': 'claude-1' }],
      [chatBody('ollama/qwen3', false, { user: 'alice' }), {}],
    ];
    for (const [body, headers] of kinds) {
      const first = await servedBy(router.url, body, headers);
      for (let i = 0; i < 6; i++) expect(await servedBy(router.url, body, headers)).toBe(first);
    }
    // Claude Code's metadata.user_id on /v1/messages, bridged to chat.
    const message = { model: 'ollama/qwen3', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }], metadata: { user_id: 'user_x_session_9' } };
    const homes = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${router.url}/v1/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(message) });
      expect(res.status).toBe(200);
      homes.add(res.headers.get('x-llmrouter-backend') ?? '?');
    }
    expect(homes.size).toBe(1);
    // Different sessions spread over the members.
    const spread = new Set<string>();
    for (const key of KEYS) spread.add(await servedBy(router.url, withKey(key)));
    expect(spread).toEqual(new Set(['a', 'b', 'c']));
  });

  it('moves a session off its member while that member is down, with no client error, and back after', async () => {
    router = await startRouter(config(['a', 'b', 'c'], { circuit_failures: 1, circuit_cooldown_ms: 200, retries: 0 }));
    const home = await servedBy(router.url, withKey('sticky'));
    const homeFake = fakes[['a', 'b', 'c'].indexOf(home)];
    await homeFake.close(); // connection refused from now on
    const elsewhere = new Set<string>();
    for (let i = 0; i < 5; i++) elsewhere.add(await servedBy(router.url, withKey('sticky')));
    expect(elsewhere.has(home)).toBe(false);
    expect(elsewhere.size).toBe(1); // the next member in the session's order, every time
    await homeFake.reopen();
    await sleep(250); // the circuit's cooldown: the next request is its trial
    expect(await servedBy(router.url, withKey('sticky'))).toBe(home);
    expect(await servedBy(router.url, withKey('sticky'))).toBe(home);
    const metrics = await (await fetch(`${router.url}/metrics`, { headers: { authorization: `Bearer ${ROUTER_KEY}` } })).text();
    expect(metrics).toMatch(new RegExp(`llmrouter_pool_affinity_misses_total\\{pool="ollama/",backend="${home}"\\} 5`));
    expect(metrics).toMatch(new RegExp(`llmrouter_pool_affinity_hits_total\\{pool="ollama/",backend="${home}"\\} 3`));
  });

  it('a reload that removes a member moves only its sessions, and its request in flight finishes', async () => {
    router = await startRouter(config(['a', 'b', 'c']));
    const before = new Map<string, string>();
    for (const key of KEYS) before.set(key, await servedBy(router.url, withKey(key)));
    const keyOfB = KEYS.find((k) => before.get(k) === 'b')!;
    expect(keyOfB).toBeDefined();

    // A stream on b is open while the reload takes b away.
    const held: ServerResponse[] = [];
    const hold: Handler = (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk(req.body.model, 'hi'))}\n\n`);
      held.push(res);
    };
    fakes[1].handle(hold);
    const streaming = post(router.url, chatBody('ollama/qwen3', true, { prompt_cache_key: keyOfB }));
    await waitFor(() => held.length === 1, 'the stream on b');
    writeFileSync(router.configPath, JSON.stringify(config(['a', 'c'])));
    router.app.get(RouterConfigService).reload();

    for (const key of KEYS) {
      const now = await servedBy(router.url, withKey(key));
      if (before.get(key) === 'b') expect(['a', 'c']).toContain(now);
      else expect(now).toBe(before.get(key));
    }
    held[0].end('data: [DONE]\n\n');
    const res = await streaming;
    expect(res.status).toBe(200);
    expect(res.text).toContain('[DONE]');
    expect(res.headers.get('x-llmrouter-backend')).toBe('b');
  });

  it('shows each pool and its members in the dashboard API', async () => {
    router = await startRouter(config(['a', 'b'], { max_concurrent: 3 }));
    for (const key of KEYS.slice(0, 6)) await servedBy(router.url, withKey(key));
    const res = await fetch(`${router.url}/ui/api/backends`, { headers: auth });
    expect(res.status).toBe(200);
    const report = (await res.json()) as { pools: Array<Record<string, any>>; data: Array<Record<string, any>> };
    expect(report.pools).toHaveLength(1);
    const pool = report.pools[0];
    expect(pool).toMatchObject({ prefix: 'ollama/', strategy: 'round_robin', session_affinity: true, waiting: 0 });
    expect(pool.members.map((m: any) => [m.name, m.max_concurrent, m.in_flight, m.circuit])).toEqual([['a', 3, 0, 'closed'], ['b', 3, 0, 'closed']]);
    expect(pool.members.reduce((sum: number, m: any) => sum + m.chosen, 0)).toBe(6);
    expect(pool.members.reduce((sum: number, m: any) => sum + m.affinity_hits, 0)).toBe(6);
    expect(report.data.map((b) => b.pool)).toEqual(['ollama/', 'ollama/']);
  });
});
