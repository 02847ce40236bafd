import { MinuteSeries, type EndedAttempt, type MinutePoint } from './minute-series';
import { RingBuffer } from './ring-buffer';

// The dashboard's traffic figures: the last RECENT_REQUESTS request lines and a per-backend minute series.
// Pure and fixed in size; kept by the router process itself, or, with `workers` > 1 and no Redis, by the
// primary for every worker (everything in and out is plain JSON, so it crosses the IPC channel as is).

export const RECENT_REQUESTS = 500;

/** One line of the recent-requests table: names, numbers and times only, never a body or a key. */
export interface RequestLine {
  /** ms since the epoch (the API sends it as an ISO time). */
  at: number;
  key: string | null;
  model: string | null;
  backend: string | null;
  status: number;
  error_code: string | null;
  ttfb_ms: number | null;
  total_ms: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
}

/** Which lines a viewer sees: `key` null for an admin (every key). */
export interface LineFilter {
  key: string | null;
  errorsOnly: boolean;
}

/** The predicate of a filter. */
export function lineMatches(filter: LineFilter): (line: RequestLine) => boolean {
  return (line) => (filter.key === null || line.key === filter.key) && (!filter.errorsOnly || line.status >= 400 || line.error_code !== null);
}

/** One backend's figures for the dashboard. */
export interface BackendTraffic {
  points: MinutePoint[];
  totals: { requests: number; errors: number };
  requestsPerMinute: number;
}

export class TrafficLog {
  readonly recent = new RingBuffer<RequestLine>(RECENT_REQUESTS);
  private readonly series = new Map<string, MinuteSeries>();

  /** `attempts`: each backend this request reached, once, with what it tells that backend's series. */
  add(line: RequestLine, attempts: Array<[string, EndedAttempt]>, now: number): void {
    for (const [backend, attempt] of attempts) this.seriesFor(backend).record(attempt, now);
    this.recent.push(line);
  }

  seriesOf(backend: string): MinuteSeries | undefined {
    return this.series.get(backend);
  }

  /** Drops the series of backends not in `backends` (after a config reload). */
  keepOnly(backends: ReadonlySet<string>): void {
    for (const name of this.series.keys()) if (!backends.has(name)) this.series.delete(name);
  }

  lines(filter: LineFilter): RequestLine[] {
    return this.recent.newestFirst(RECENT_REQUESTS, lineMatches(filter));
  }

  /** The figures of each of `backends` (those of the config in force; others are dropped). */
  backends(backends: string[], totalMinutes: number, now: number): Array<BackendTraffic | null> {
    this.keepOnly(new Set(backends));
    return backends.map((name) => {
      const s = this.series.get(name);
      return s ? { points: s.points(now), totals: s.totals(totalMinutes, now), requestsPerMinute: s.requestsPerMinute(now) } : null;
    });
  }

  private seriesFor(name: string): MinuteSeries {
    let s = this.series.get(name);
    if (!s) {
      s = new MinuteSeries();
      this.series.set(name, s);
    }
    return s;
  }
}
