// One backend's last hour, minute by minute: requests, failures, and latency histograms from which the
// dashboard reads p50/p95. Fixed memory: 60 slots reused round-robin, each with fixed-size histograms.

const MINUTE_MS = 60_000;
export const SERIES_MINUTES = 60;

// Log-spaced buckets from 10 µs to about 11 minutes, each 20% wider than the last: a quantile read from
// them is within about 10% of the true value, plenty to tell p50 from p95 at a glance.
const FIRST_BOUND_MS = 0.01;
const GROWTH = 1.2;
const BUCKETS = 100;
const LOG_GROWTH = Math.log(GROWTH);

/** The histogram bucket of a latency, or undefined for a value that is not one. */
export function latencyBucket(ms: number): number | undefined {
  if (!(ms >= 0)) return undefined;
  return ms <= FIRST_BOUND_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / FIRST_BOUND_MS) / LOG_GROWTH));
}

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;

  add(ms: number): void {
    const i = latencyBucket(ms);
    if (i === undefined) return;
    this.counts[i]++;
    this.total++;
  }

  /** Adds `n` samples to bucket `i` (histograms summed from several replicas). */
  addToBucket(i: number, n: number): void {
    if (!(i >= 0 && i < BUCKETS && n > 0)) return;
    this.counts[i] += n;
    this.total += n;
  }

  /** The q-quantile in ms (the geometric middle of its bucket), or null with no samples. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return round(i === 0 ? FIRST_BOUND_MS / 2 : FIRST_BOUND_MS * GROWTH ** (i - 0.5));
    }
    return null;
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
  }
}

/** What one finished request tells a backend's series. */
export interface EndedAttempt {
  /** The backend failed this request at least once (refused, timed out, 5xx, 429, broken stream). */
  failed: boolean;
  ttfbMs?: number;
  overheadMs?: number;
}

export interface MinutePoint {
  /** Start of the minute, ms since the epoch. */
  start: number;
  requests: number;
  errors: number;
  ttfb_p50_ms: number | null;
  ttfb_p95_ms: number | null;
  overhead_p50_ms: number | null;
}

/** One minute of a backend as numbers: requests, failures, and [bucket, samples] of each histogram. */
export interface MinuteCounts {
  requests: number;
  errors: number;
  ttfb: Array<[number, number]>;
  overhead: Array<[number, number]>;
}

interface Slot {
  minute: number;
  requests: number;
  errors: number;
  ttfb: LatencyHistogram;
  overhead: LatencyHistogram;
}

export class MinuteSeries {
  private readonly slots: Slot[] = [];

  record(attempt: EndedAttempt, now = Date.now()): void {
    const slot = this.slotFor(Math.floor(now / MINUTE_MS));
    slot.requests++;
    if (attempt.failed) slot.errors++;
    if (attempt.ttfbMs !== undefined) slot.ttfb.add(attempt.ttfbMs);
    if (attempt.overheadMs !== undefined) slot.overhead.add(attempt.overheadMs);
  }

  /** Adds one minute's counts as another replica recorded them (`minuteStart` in ms since the epoch). */
  addCounts(minuteStart: number, counts: MinuteCounts): void {
    const slot = this.slotFor(Math.floor(minuteStart / MINUTE_MS));
    slot.requests += counts.requests;
    slot.errors += counts.errors;
    for (const [i, n] of counts.ttfb) slot.ttfb.addToBucket(i, n);
    for (const [i, n] of counts.overhead) slot.overhead.addToBucket(i, n);
  }

  /** The last SERIES_MINUTES minutes, oldest first, the current (partial) minute last; empty minutes included. */
  points(now = Date.now()): MinutePoint[] {
    const current = Math.floor(now / MINUTE_MS);
    const out: MinutePoint[] = [];
    for (let minute = current - SERIES_MINUTES + 1; minute <= current; minute++) {
      const slot = this.live(minute);
      out.push({
        start: minute * MINUTE_MS,
        requests: slot?.requests ?? 0,
        errors: slot?.errors ?? 0,
        ttfb_p50_ms: slot?.ttfb.quantile(0.5) ?? null,
        ttfb_p95_ms: slot?.ttfb.quantile(0.95) ?? null,
        overhead_p50_ms: slot?.overhead.quantile(0.5) ?? null,
      });
    }
    return out;
  }

  /** Requests and failures in the last `minutes` minutes, the current one included. */
  totals(minutes: number, now = Date.now()): { requests: number; errors: number } {
    const current = Math.floor(now / MINUTE_MS);
    let requests = 0;
    let errors = 0;
    for (let minute = current - minutes + 1; minute <= current; minute++) {
      const slot = this.live(minute);
      requests += slot?.requests ?? 0;
      errors += slot?.errors ?? 0;
    }
    return { requests, errors };
  }

  /** Requests in the last 60 s: the current minute plus the part of the previous one still inside the window. */
  requestsPerMinute(now = Date.now()): number {
    const current = Math.floor(now / MINUTE_MS);
    const elapsed = (now - current * MINUTE_MS) / MINUTE_MS;
    const previous = this.live(current - 1)?.requests ?? 0;
    return Math.round((this.live(current)?.requests ?? 0) + previous * (1 - elapsed));
  }

  private live(minute: number): Slot | undefined {
    const slot = this.slots[minute % SERIES_MINUTES];
    return slot?.minute === minute ? slot : undefined;
  }

  private slotFor(minute: number): Slot {
    const i = minute % SERIES_MINUTES;
    let slot = this.slots[i];
    if (!slot) {
      slot = { minute, requests: 0, errors: 0, ttfb: new LatencyHistogram(), overhead: new LatencyHistogram() };
      this.slots[i] = slot;
    } else if (slot.minute !== minute) {
      slot.minute = minute;
      slot.requests = 0;
      slot.errors = 0;
      slot.ttfb.clear();
      slot.overhead.clear();
    }
    return slot;
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
