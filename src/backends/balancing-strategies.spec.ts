import type { CompiledBackend } from '../config/compiled-config';
import { LATENCY_STALE_MS, newMemberLoad, pickIndex, recordTtfb, type MemberLoad } from './balancing-strategies';

const member = (name: string, weight = 1) => ({ name, weight }) as CompiledBackend;

/** A fixed sequence of "random" numbers, so ties and weighted draws are predictable. */
function sequence(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

function counts(picks: number[], n: number): number[] {
  const out = new Array<number>(n).fill(0);
  for (const p of picks) out[p]++;
  return out;
}

describe('balancing strategies', () => {
  const now = 1_000_000;

  describe('least_busy', () => {
    it('picks the member with the fewest requests in flight', () => {
      const loads = [{ ...newMemberLoad(), inFlight: 3 }, { ...newMemberLoad(), inFlight: 1 }, { ...newMemberLoad(), inFlight: 2 }];
      expect(pickIndex('least_busy', [member('a'), member('b'), member('c')], loads, now)).toBe(1);
    });

    it('counts in flight relative to weight: 3 in flight on weight 4 is less busy than 1 on weight 1', () => {
      const loads = [{ ...newMemberLoad(), inFlight: 3 }, { ...newMemberLoad(), inFlight: 1 }];
      expect(pickIndex('least_busy', [member('a', 4), member('b', 1)], loads, now)).toBe(0);
    });

    it('breaks ties at random', () => {
      const loads = [newMemberLoad(), newMemberLoad()];
      const members = [member('a'), member('b')];
      expect(pickIndex('least_busy', members, loads, now, () => 0.1)).toBe(0);
      expect(pickIndex('least_busy', members, loads, now, () => 0.9)).toBe(1);
    });
  });

  describe('round_robin', () => {
    it('follows the weights smoothly: 2:1 gives a, b, a repeating', () => {
      const members = [member('a', 2), member('b', 1)];
      const loads = [newMemberLoad(), newMemberLoad()];
      const picks = Array.from({ length: 9 }, () => pickIndex('round_robin', members, loads, now));
      expect(picks).toEqual([0, 1, 0, 0, 1, 0, 0, 1, 0]);
    });

    it('gives exact shares over a full cycle for weights 5:3:1', () => {
      const members = [member('a', 5), member('b', 3), member('c', 1)];
      const loads = [newMemberLoad(), newMemberLoad(), newMemberLoad()];
      const picks = Array.from({ length: 90 }, () => pickIndex('round_robin', members, loads, now));
      expect(counts(picks, 3)).toEqual([50, 30, 10]);
    });
  });

  describe('latency', () => {
    const measured = (ms: number, inFlight = 0): MemberLoad => ({ ...newMemberLoad(), ttfbEwmaMs: ms, measuredAt: now, inFlight });

    it('picks the lowest average time to first byte', () => {
      expect(pickIndex('latency', [member('a'), member('b')], [measured(120), measured(30)], now)).toBe(1);
    });

    it('tries a member without a measurement first', () => {
      expect(pickIndex('latency', [member('a'), member('b')], [measured(10), newMemberLoad()], now)).toBe(1);
    });

    it('treats a stale measurement as none, so a member that got faster is noticed', () => {
      const stale = { ...measured(500), measuredAt: now - LATENCY_STALE_MS - 1 };
      expect(pickIndex('latency', [member('a'), member('b')], [measured(10), stale], now)).toBe(1);
    });

    it('averages time to first byte, newer measurements counting 30 %', () => {
      const load = newMemberLoad();
      recordTtfb(load, 100, now);
      recordTtfb(load, 200, now + 1);
      expect(load.ttfbEwmaMs).toBeCloseTo(130);
      recordTtfb(load, 50, now + 2 + LATENCY_STALE_MS);
      expect(load.ttfbEwmaMs).toBe(50);
    });
  });

  describe('random', () => {
    it('draws in proportion to weight', () => {
      const members = [member('a', 3), member('b', 1)];
      const loads = [newMemberLoad(), newMemberLoad()];
      const draws = sequence([0.0, 0.2, 0.5, 0.74, 0.76, 0.99]);
      const picks = Array.from({ length: 6 }, () => pickIndex('random', members, loads, now, draws));
      expect(picks).toEqual([0, 0, 0, 0, 1, 1]);
    });
  });
});
