import { parseRetryAfter, retryDelay } from './upstream-request';

describe('retryDelay', () => {
  it('backs off exponentially with jitter when the upstream gave no retry-after', () => {
    for (let i = 0; i < 50; i++) {
      const first = retryDelay(1, undefined, 10_000);
      const third = retryDelay(3, undefined, 10_000);
      expect(first).toBeGreaterThanOrEqual(125);
      expect(first).toBeLessThanOrEqual(250);
      expect(third).toBeGreaterThanOrEqual(500);
      expect(third).toBeLessThanOrEqual(1000);
    }
  });

  it('honours retry-after, capped at max_retry_delay_ms', () => {
    expect(retryDelay(1, 2_000, 10_000)).toBe(2_000);
    expect(retryDelay(1, 3_600_000, 10_000)).toBe(10_000);
    expect(retryDelay(5, undefined, 300)).toBeLessThanOrEqual(300);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(parseRetryAfter({ 'retry-after': '2' })).toBe(2_000);
    expect(parseRetryAfter({ 'retry-after-ms': '150', 'retry-after': '9' })).toBe(150);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(parseRetryAfter({ 'retry-after': inTenSeconds })).toBeGreaterThan(8_000);
    expect(parseRetryAfter({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' })).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter({})).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': 'soon' })).toBeUndefined();
  });
});
