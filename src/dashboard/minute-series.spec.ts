import { LatencyHistogram, latencyBucket, MinuteSeries, SERIES_MINUTES } from './minute-series';

const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MIN = 60_000;

describe('LatencyHistogram', () => {
  it('reads p50 and p95 within 10% of the true values', () => {
    const h = new LatencyHistogram();
    // 1..1000 ms: p50 is 500 ms, p95 is 950 ms.
    for (let ms = 1; ms <= 1000; ms++) h.add(ms);
    const p50 = h.quantile(0.5)!;
    const p95 = h.quantile(0.95)!;
    expect(Math.abs(p50 - 500) / 500).toBeLessThan(0.1);
    expect(Math.abs(p95 - 950) / 950).toBeLessThan(0.1);
  });

  it('tells sub-millisecond values apart (router overhead)', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 90; i++) h.add(0.2);
    for (let i = 0; i < 10; i++) h.add(3);
    expect(h.quantile(0.5)).toBeGreaterThan(0.17);
    expect(h.quantile(0.5)).toBeLessThan(0.23);
    expect(h.quantile(0.95)).toBeGreaterThan(2.7);
  });

  it('has no quantile without samples, and none after clear', () => {
    const h = new LatencyHistogram();
    expect(h.quantile(0.5)).toBeNull();
    h.add(5);
    h.clear();
    expect(h.quantile(0.95)).toBeNull();
  });

  it('keeps values past the last bucket in it rather than dropping them', () => {
    const h = new LatencyHistogram();
    h.add(10 * 3_600_000);
    expect(h.quantile(0.5)).toBeGreaterThan(300_000);
  });
});

describe('MinuteSeries', () => {
  it('gives one point per minute for the last hour, oldest first, empty minutes included', () => {
    const s = new MinuteSeries();
    s.record({ failed: false, ttfbMs: 100, overheadMs: 0.5 }, t0 - 5 * MIN);
    s.record({ failed: true }, t0 + 1_000);
    const points = s.points(t0 + 2_000);
    expect(points).toHaveLength(SERIES_MINUTES);
    expect(points[points.length - 1]).toMatchObject({ start: t0, requests: 1, errors: 1, ttfb_p50_ms: null });
    const earlier = points[points.length - 6];
    expect(earlier.start).toBe(t0 - 5 * MIN);
    expect(earlier.requests).toBe(1);
    expect(earlier.ttfb_p50_ms! / 100).toBeCloseTo(1, 0);
    expect(points[0]).toMatchObject({ requests: 0, ttfb_p95_ms: null });
  });

  it('forgets minutes older than an hour when their slot is reused', () => {
    const s = new MinuteSeries();
    s.record({ failed: true, ttfbMs: 50 }, t0);
    s.record({ failed: false, ttfbMs: 5 }, t0 + SERIES_MINUTES * MIN);
    const last = s.points(t0 + SERIES_MINUTES * MIN).pop()!;
    expect(last).toMatchObject({ requests: 1, errors: 0 });
    expect(last.ttfb_p95_ms!).toBeLessThan(6);
    expect(s.totals(SERIES_MINUTES, t0 + SERIES_MINUTES * MIN)).toEqual({ requests: 1, errors: 0 });
  });

  it('reads nothing from a slot left over from an earlier hour', () => {
    const s = new MinuteSeries();
    s.record({ failed: false }, t0);
    expect(s.totals(SERIES_MINUTES, t0 + 2 * SERIES_MINUTES * MIN)).toEqual({ requests: 0, errors: 0 });
  });

  it('counts requests per minute over a sliding 60 s window', () => {
    const s = new MinuteSeries();
    for (let i = 0; i < 30; i++) s.record({ failed: false }, t0 + i * 1_000);
    expect(s.requestsPerMinute(t0 + 59_000)).toBe(30);
    // A quarter into the next minute three quarters of the previous minute still count.
    expect(s.requestsPerMinute(t0 + MIN + 15_000)).toBe(23);
    expect(s.requestsPerMinute(t0 + 3 * MIN)).toBe(0);
  });
});

describe('MinuteSeries.addCounts (figures summed from several replicas)', () => {
  it('gives the same points as recording the requests in one series', () => {
    const now = Date.UTC(2026, 0, 1, 12, 30, 20);
    const minute = Math.floor(now / 60_000) * 60_000;
    const one = new MinuteSeries();
    const attempts = [
      { failed: false, ttfbMs: 12, overheadMs: 0.4 },
      { failed: true, ttfbMs: 480 },
      { failed: false, ttfbMs: 15, overheadMs: 0.5 },
    ];
    for (const a of attempts) one.record(a, now);

    // Two replicas' counts for the same minute, as bucket numbers.
    const summed = new MinuteSeries();
    const bucketsOf = (values: number[]) => values.map((ms) => [latencyBucket(ms)!, 1] as [number, number]);
    summed.addCounts(minute, { requests: 2, errors: 1, ttfb: bucketsOf([12, 480]), overhead: bucketsOf([0.4]) });
    summed.addCounts(minute, { requests: 1, errors: 0, ttfb: bucketsOf([15]), overhead: bucketsOf([0.5]) });

    expect(summed.points(now)).toEqual(one.points(now));
    expect(summed.totals(15, now)).toEqual({ requests: 3, errors: 1 });
  });

  it('has no bucket for a latency that is not a number', () => {
    expect(latencyBucket(Number.NaN)).toBeUndefined();
    expect(latencyBucket(-1)).toBeUndefined();
    expect(latencyBucket(0)).toBe(0);
  });
});
