import { compileConfig } from '../config/config-loader';
import type { CompiledPool } from '../config/compiled-config';
import { rendezvousOrder } from './rendezvous';

function poolOf(members: Array<{ name: string; weight?: number }>): CompiledPool {
  const backends = members.map((m) => ({ name: m.name, base_url: `http://${m.name}/v1`, prefix: 'p/', weight: m.weight }));
  return compileConfig({ backends }, 't', {}).config.pools[0];
}

const KEYS = Array.from({ length: 20_000 }, (_, i) => `session-${i}-${(i * 7919) % 104729}`);

function homes(pool: CompiledPool): Map<string, string> {
  return new Map(KEYS.map((k) => [k, pool.members[rendezvousOrder(pool, k)[0]].name]));
}

function shares(pool: CompiledPool): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const home of homes(pool).values()) counts[home] = (counts[home] ?? 0) + 1;
  for (const name of Object.keys(counts)) counts[name] /= KEYS.length;
  return counts;
}

describe('weighted rendezvous hashing', () => {
  it('gives the same key the same order every time, each member once', () => {
    const pool = poolOf([{ name: 'gpu-a' }, { name: 'gpu-b' }, { name: 'gpu-c' }]);
    const order = rendezvousOrder(pool, 'codex-session-1');
    expect(rendezvousOrder(pool, 'codex-session-1')).toEqual(order);
    expect([...order].sort()).toEqual([0, 1, 2]);
  });

  it('spreads keys evenly over equal members', () => {
    const s = shares(poolOf([{ name: 'gpu-a' }, { name: 'gpu-b' }, { name: 'gpu-c' }]));
    for (const name of ['gpu-a', 'gpu-b', 'gpu-c']) expect(Math.abs(s[name] - 1 / 3)).toBeLessThan(0.02);
  });

  it('gives each member a share of sessions in proportion to its weight', () => {
    const s = shares(poolOf([{ name: 'gpu-a', weight: 3 }, { name: 'gpu-b', weight: 1 }]));
    expect(Math.abs(s['gpu-a'] - 0.75)).toBeLessThan(0.02);
    const three = shares(poolOf([{ name: 'x', weight: 1 }, { name: 'y', weight: 2 }, { name: 'z', weight: 5 }]));
    expect(Math.abs(three.x - 1 / 8)).toBeLessThan(0.02);
    expect(Math.abs(three.z - 5 / 8)).toBeLessThan(0.02);
  });

  it('moves only the sessions of a removed member, to the member next in their order', () => {
    const full = poolOf([{ name: 'gpu-a' }, { name: 'gpu-b', weight: 2 }, { name: 'gpu-c' }]);
    const without = poolOf([{ name: 'gpu-a' }, { name: 'gpu-c' }]);
    const before = homes(full);
    const after = homes(without);
    let moved = 0;
    const wrong: string[] = [];
    for (const key of KEYS) {
      const expected = before.get(key) !== 'gpu-b' ? before.get(key) : rendezvousOrder(full, key).map((i) => full.members[i].name)[1];
      if (before.get(key) === 'gpu-b') moved++;
      if (after.get(key) !== expected) wrong.push(key);
    }
    expect(wrong).toEqual([]);
    expect(moved).toBeGreaterThan(KEYS.length * 0.4);
  });

  it('moves only a share of sessions to a member that is added', () => {
    const before = homes(poolOf([{ name: 'gpu-a' }, { name: 'gpu-b' }]));
    const after = homes(poolOf([{ name: 'gpu-a' }, { name: 'gpu-b' }, { name: 'gpu-c' }]));
    let changed = 0;
    const elsewhere: string[] = [];
    for (const key of KEYS) {
      if (after.get(key) === before.get(key)) continue;
      changed++;
      if (after.get(key) !== 'gpu-c') elsewhere.push(key);
    }
    expect(elsewhere).toEqual([]);
    expect(Math.abs(changed / KEYS.length - 1 / 3)).toBeLessThan(0.02);
  });

  it('does not depend on the order members are listed in', () => {
    const ab = poolOf([{ name: 'gpu-a' }, { name: 'gpu-b' }]);
    const ba = poolOf([{ name: 'gpu-b' }, { name: 'gpu-a' }]);
    for (const key of KEYS.slice(0, 500)) expect(ab.members[rendezvousOrder(ab, key)[0]].name).toBe(ba.members[rendezvousOrder(ba, key)[0]].name);
  });

  it('hashes a huge key by its first 1,024 characters (a 30 MB `user` field costs no more than a short one)', () => {
    const pool = poolOf([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const huge = 'k'.repeat(30_000_000);
    expect(rendezvousOrder(pool, huge)).toEqual(rendezvousOrder(pool, `${'k'.repeat(1024)}different tail`));
  });
});
