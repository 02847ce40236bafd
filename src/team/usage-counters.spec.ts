import { UsageCounters, windowStart } from './usage-counters';

describe('UsageCounters', () => {
  const t0 = Date.UTC(2025, 0, 1, 12, 30, 0);

  it('sums requests and tokens per key and model within the current minute and day', () => {
    const counters = new UsageCounters();
    counters.add('alice', 'ollama/phi4', 7, t0);
    counters.add('alice', 'ollama/phi4', 5, t0 + 1_000);
    counters.add('alice', 'o1', 0, t0 + 2_000);
    counters.add('bob', 'ollama/phi4', 3, t0 + 3_000);
    const expected = [
      { key: 'alice', model: 'o1', requests: 1, total_tokens: 0 },
      { key: 'alice', model: 'ollama/phi4', requests: 2, total_tokens: 12 },
      { key: 'bob', model: 'ollama/phi4', requests: 1, total_tokens: 3 },
    ];
    expect(counters.rows('minute', t0 + 4_000)).toEqual(expected);
    expect(counters.rows('day', t0 + 4_000)).toEqual(expected);
  });

  it('starts a new minute empty while the day keeps counting', () => {
    const counters = new UsageCounters();
    counters.add('alice', 'm', 10, t0);
    const nextMinute = t0 + 60_000;
    expect(counters.rows('minute', nextMinute)).toEqual([]);
    counters.add('alice', 'm', 1, nextMinute);
    expect(counters.rows('minute', nextMinute)).toEqual([{ key: 'alice', model: 'm', requests: 1, total_tokens: 1 }]);
    expect(counters.rows('day', nextMinute)).toEqual([{ key: 'alice', model: 'm', requests: 2, total_tokens: 11 }]);
  });

  it('keeps keys and models apart even when their names contain separators', () => {
    const counters = new UsageCounters();
    counters.add('a', 'b/c', 1, t0);
    counters.add('a/b', 'c', 1, t0);
    expect(counters.rows('minute', t0)).toHaveLength(2);
  });

  it('aligns windows on the clock', () => {
    expect(windowStart('minute', t0 + 59_999)).toBe(t0);
    expect(windowStart('day', t0)).toBe(Date.UTC(2025, 0, 1));
  });
});
