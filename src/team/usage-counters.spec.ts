import { HISTORY_DAYS, historyDayStarts, MAX_MODELS_PER_KEY, OTHER_MODEL, UsageCounters, windowStart } from './usage-counters';

const DAY = 86_400_000;
/** Tokens as a backend reports them: prompt + completion = total. */
const used = (prompt: number, completion: number) => ({ prompt, completion, total: prompt + completion });
const row = (key: string, model: string, requests: number, prompt: number, completion: number) => ({
  key,
  model,
  requests,
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});

describe('UsageCounters', () => {
  const t0 = Date.UTC(2025, 0, 1, 12, 30, 0);

  it('sums requests and tokens per key and model within the current minute and day', () => {
    const counters = new UsageCounters();
    counters.add('alice', 'ollama/phi4', used(5, 2), t0);
    counters.add('alice', 'ollama/phi4', used(4, 1), t0 + 1_000);
    counters.add('alice', 'o1', used(0, 0), t0 + 2_000);
    counters.add('bob', 'ollama/phi4', used(3, 0), t0 + 3_000);
    const expected = [row('alice', 'o1', 1, 0, 0), row('alice', 'ollama/phi4', 2, 9, 3), row('bob', 'ollama/phi4', 1, 3, 0)];
    expect(counters.rows('minute', t0 + 4_000)).toEqual(expected);
    expect(counters.rows('day', t0 + 4_000)).toEqual(expected);
  });

  it('starts a new minute empty while the day keeps counting', () => {
    const counters = new UsageCounters();
    counters.add('alice', 'm', used(6, 4), t0);
    const nextMinute = t0 + 60_000;
    expect(counters.rows('minute', nextMinute)).toEqual([]);
    counters.add('alice', 'm', used(1, 0), nextMinute);
    expect(counters.rows('minute', nextMinute)).toEqual([row('alice', 'm', 1, 1, 0)]);
    expect(counters.rows('day', nextMinute)).toEqual([row('alice', 'm', 2, 7, 4)]);
  });

  it('keeps each of the last seven days apart and forgets older ones', () => {
    const counters = new UsageCounters();
    for (let d = 0; d < 9; d++) counters.add('alice', 'm', used(d, 1), t0 + d * DAY);
    const now = t0 + 8 * DAY;
    const days = historyDayStarts(now);
    expect(days).toHaveLength(HISTORY_DAYS);
    expect(days[HISTORY_DAYS - 1]).toBe(windowStart('day', now));
    expect(days.map((start) => counters.day(start)[0]?.prompt_tokens)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(counters.day(windowStart('day', t0))).toEqual([]);
    expect(counters.rows('day', now)).toEqual([row('alice', 'm', 1, 8, 1)]);
  });

  it('keeps keys and models apart even when their names contain separators', () => {
    const counters = new UsageCounters();
    counters.add('a', 'b/c', used(1, 0), t0);
    counters.add('a/b', 'c', used(1, 0), t0);
    expect(counters.rows('minute', t0)).toHaveLength(2);
  });

  it('aligns windows on the clock', () => {
    expect(windowStart('minute', t0 + 59_999)).toBe(t0);
    expect(windowStart('day', t0)).toBe(Date.UTC(2025, 0, 1));
  });
});

describe('UsageCounters: bounded rows', () => {
  const t0 = Date.UTC(2025, 0, 1, 12, 30, 0);
  const used = { prompt: 1, completion: 1, total: 2 };

  it('counts a million names no backend served under one row, and keeps the requests', () => {
    const counters = new UsageCounters();
    for (let i = 0; i < 1_000_000; i++) counters.add('alice', `made-up-${i}`, { prompt: 0, completion: 0, total: 0 }, t0, false);
    const rows = counters.rows('day', t0);
    expect(rows).toEqual([{ key: 'alice', model: OTHER_MODEL, requests: 1_000_000, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }]);
    expect(JSON.stringify(rows).length).toBeLessThan(200);
  });

  it('caps the model rows of a key over a million served names and counts the rest under other, leaving other keys their own rows', () => {
    const counters = new UsageCounters();
    const names = 1_000_000;
    for (let i = 0; i < names; i++) counters.add('alice', `ollama/m${i}`, used, t0, true);
    counters.add('bob', 'ollama/m0', used, t0, true);
    const alice = counters.rows('day', t0).filter((r) => r.key === 'alice');
    expect(alice).toHaveLength(MAX_MODELS_PER_KEY + 1);
    expect(alice.find((r) => r.model === OTHER_MODEL)).toMatchObject({ requests: names - MAX_MODELS_PER_KEY, total_tokens: 2 * (names - MAX_MODELS_PER_KEY) });
    expect(alice.reduce((n, r) => n + r.requests, 0)).toBe(names);
    expect(counters.rows('day', t0).filter((r) => r.key === 'bob')).toEqual([{ key: 'bob', model: 'ollama/m0', requests: 1, prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }]);
  });

  it('keeps counting a served name on its own row when a later request to it fails', () => {
    const counters = new UsageCounters();
    expect(counters.add('alice', 'ollama/phi4', used, t0, true)).toBe('ollama/phi4');
    expect(counters.add('alice', 'ollama/phi4', used, t0 + 1_000, false)).toBe('ollama/phi4');
    expect(counters.rows('minute', t0 + 1_000)).toEqual([{ key: 'alice', model: 'ollama/phi4', requests: 2, prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 }]);
  });
});
