import { compileConfig } from '../config/config-loader';
import type { RouterConfig } from '../config/compiled-config';
import type { RouterConfigService } from '../config/router-config.service';
import type { OpenAIError } from '../common/openai-error';
import { LoadBalancerService } from './load-balancer.service';
import { rendezvousOrder } from './rendezvous';
import { sessionKeyOf } from './session-key';

function setup(extra: Record<string, unknown> = {}) {
  const { config } = compileConfig(
    {
      backends: [
        { name: 'a', base_url: 'http://a/v1', prefix: 'p/', max_concurrent: 1, connect_timeout_ms: 50, ...extra },
        { name: 'b', base_url: 'http://b/v1', prefix: 'p/', max_concurrent: 1, connect_timeout_ms: 50 },
      ],
    },
    't',
    {},
  );
  const listeners: Array<(c: RouterConfig) => void> = [];
  const service = { current: config, onChange: (l: (c: RouterConfig) => void) => listeners.push(l) } as unknown as RouterConfigService;
  return { balancer: new LoadBalancerService(service), pool: config.pools[0], reload: (c: RouterConfig) => listeners.forEach((l) => l(c)) };
}

describe('LoadBalancerService', () => {
  it('keeps each member below max_concurrent and says when all are full', () => {
    const { balancer, pool } = setup();
    const first = balancer.choose(pool, pool.members, false)!;
    const second = balancer.choose(pool, pool.members, false)!;
    expect(new Set([first.member.name, second.member.name])).toEqual(new Set(['a', 'b']));
    expect(balancer.choose(pool, pool.members, false)).toBeUndefined();
    second.release();
    second.release(); // twice is harmless
    expect(balancer.loadOf(second.member.name).inFlight).toBe(0);
    expect(balancer.choose(pool, pool.members, false)!.member.name).toBe(second.member.name);
  });

  it('hands a freed slot straight to the waiting request', async () => {
    const { balancer, pool } = setup({ connect_timeout_ms: 5_000 });
    const held = [balancer.choose(pool, pool.members, false)!, balancer.choose(pool, pool.members, false)!];
    const waiting = balancer.wait(pool, pool.members, 5_000, new AbortController().signal);
    expect(balancer.waitingByPool().get('p/')).toBe(1);
    held[0].release();
    // A newcomer cannot take the slot between the release and the waiter running.
    expect(balancer.choose(pool, pool.members, false)).toBeUndefined();
    const slot = await waiting;
    expect(slot.member.name).toBe(held[0].member.name);
    expect(balancer.waitingByPool().get('p/')).toBe(0);
  });

  it('ends the wait with 503 backend_pool_full after the wait time', async () => {
    const { balancer, pool } = setup();
    balancer.choose(pool, pool.members, false);
    balancer.choose(pool, pool.members, false);
    const error = (await balancer.wait(pool, pool.members, 30, new AbortController().signal).catch((e: unknown) => e)) as OpenAIError;
    expect(error.status).toBe(503);
    expect(error.code).toBe('backend_pool_full');
    expect(balancer.waitingByPool().get('p/')).toBe(0);
  });

  it('takes a sticky request to the first candidate with room, in the order given', () => {
    const { balancer, pool } = setup();
    const [a, b] = pool.members;
    expect(balancer.choose(pool, [b, a], true)!.member.name).toBe('b');
    expect(balancer.choose(pool, [b, a], true)!.member.name).toBe('a');
  });

  it('reports the members of the pools in force: a reload that removes one drops it, a kept one keeps its counts', () => {
    const { balancer, pool, reload } = setup();
    balancer.choose(pool, [pool.members[0]], true);
    expect(balancer.report().map((r) => [r.pool, r.name, r.inFlight, r.chosen])).toEqual([['p/', 'a', 1, 1], ['p/', 'b', 0, 0]]);
    reload(compileConfig({ backends: [{ name: 'a', base_url: 'http://a/v1', prefix: 'p/', max_concurrent: 3 }] }, 't', {}).config);
    expect(balancer.report().map((r) => [r.pool, r.name, r.inFlight, r.chosen])).toEqual([['p/', 'a', 1, 1]]);
  });

  it('latency: a member whose attempt failed is left, not tried first as unmeasured, until that is stale', () => {
    const { config } = compileConfig(
      { backends: ['a', 'b'].map((n) => ({ name: n, base_url: `http://${n}/v1`, prefix: 'p/' })), load_balancing: { strategy: 'latency' } },
      't',
      {},
    );
    const balancer = new LoadBalancerService({ current: config, onChange: () => undefined } as unknown as RouterConfigService);
    const [pool] = config.pools;
    const [a, b] = pool.members;
    balancer.noteTtfb(b, 400, 0);
    balancer.noteFailure(a, 0);
    const pick = (now: number) => {
      const slot = balancer.choose(pool, pool.members, false, now)!;
      slot.release();
      return slot.member.name;
    };
    expect([pick(1_000), pick(2_000), pick(29_000)]).toEqual(['b', 'b', 'b']);
    balancer.noteTtfb(b, 400, 29_000);
    expect(pick(31_000)).toBe('a'); // a's failure is 31 s old: it gets a new chance
  });

  it('keeps no state per session: 200,000 distinct keys leave only the members behind', () => {
    const { balancer, pool } = setup();
    const homes = [0, 0];
    for (let i = 0; i < 200_000; i++) {
      const order = rendezvousOrder(pool, `session-${i}`).map((j) => pool.members[j]);
      homes[pool.members.indexOf(order[0])]++;
      const slot = balancer.choose(pool, order, true)!;
      balancer.noteAffinity(order[0], slot.member);
      slot.release();
    }
    expect(Math.abs(homes[0] - 100_000)).toBeLessThan(2_000);
    const report = balancer.report();
    expect(report.map((m) => m.name)).toEqual(['a', 'b']);
    expect(report.reduce((sum, m) => sum + m.affinityHits, 0)).toBe(200_000);
    expect(report.every((m) => m.inFlight === 0)).toBe(true);
  });
});

describe('sessionKeyOf', () => {
  it.each([
    ['prompt_cache_key (Codex, AI SDK)', { prompt_cache_key: 'pck' }, {}, 'pck'],
    ['x-session-affinity (opencode)', {}, { 'x-session-affinity': 'oc' }, 'oc'],
    ['x-session-id (opencode)', {}, { 'x-session-id': 'oc2' }, 'oc2'],
    ['session_id (Codex CLI)', {}, { session_id: 'cx0' }, 'cx0'],
    ['session-id (Codex)', {}, { 'session-id': 'cx' }, 'cx'],
    ['x-claude-code-session-id', {}, { 'x-claude-code-session-id': 'cc' }, 'cc'],
    ['metadata.user_id (Claude Code)', { metadata: { user_id: 'user_1_session_2' } }, {}, 'user_1_session_2'],
    ['a Responses conversation id', { conversation: 'conv_1' }, {}, 'conv_1'],
    ['a Responses conversation object', { conversation: { id: 'conv_2' } }, {}, 'conv_2'],
    ['user (Chat Completions)', { user: 'alice' }, {}, 'alice'],
    ['metadata.user_id before user', { metadata: { user_id: 'cc' }, user: 'alice' }, {}, 'cc'],
    ['prompt_cache_key before a header and user', { prompt_cache_key: 'pck', user: 'alice' }, { 'session-id': 'cx' }, 'pck'],
  ])('reads %s', (_what, body, headers, expected) => {
    expect(sessionKeyOf(body, headers)).toBe(expected);
  });

  it.each([
    ['nothing', {}, {}],
    ['empty strings', { prompt_cache_key: '', user: '' }, { 'session-id': '' }],
    ['wrong types', { prompt_cache_key: 42, user: ['x'], metadata: { user_id: {} } }, {}],
    ['metadata as a list', { metadata: ['x'] }, {}],
    ['previous_response_id alone (it changes every turn)', { previous_response_id: 'resp_1' }, {}],
    ['a header sent twice (a list)', {}, { 'x-session-id': ['a', 'b'] as unknown as string }],
  ])('finds none in %s', (_what, body, headers) => {
    expect(sessionKeyOf(body as Record<string, unknown>, headers)).toBeUndefined();
  });
});
