import { Injectable, OnModuleInit } from '@nestjs/common';
import { RedisConnectionService } from '../team/redis-connection.service';
import { EndedAttempt, latencyBucket, MinuteCounts, MinuteSeries, SERIES_MINUTES } from './minute-series';
import { BackendTraffic, LineFilter, lineMatches } from './traffic-log';
import { RECENT_REQUESTS, RequestLine, TrafficRecorderService } from './traffic-recorder.service';

const MINUTE_MS = 60_000;
const PREFIX = 'llmrouter:traffic:';
const RECENT_KEY = 'llmrouter:recent';
/** A backend's minute hash outlives the chart's hour by a minute. */
const SERIES_TTL_MS = (SERIES_MINUTES + 1) * MINUTE_MS;

/**
 * The dashboard's traffic of every replica, through Redis (when `redis_url` is set): each replica adds
 * its requests to per-backend minute hashes (requests, failures, latency histogram buckets) and to one
 * list of recent request lines; the dashboard reads the sums. While Redis is away each replica shows its
 * own traffic (TrafficRecorderService: the process's, or with workers the primary's), and what it recorded
 * meanwhile stays local.
 */
@Injectable()
export class SharedTrafficService implements OnModuleInit {
  constructor(
    private readonly recorder: TrafficRecorderService,
    private readonly redis: RedisConnectionService,
  ) {}

  onModuleInit(): void {
    this.recorder.onRecord((line, attempts, now) => this.write(line, attempts, now));
  }

  /**
   * Each backend's figures (null: no traffic): summed over every replica from Redis (`shared`), or, without
   * Redis or on a Redis error, this router's own.
   */
  async backends(backends: string[], totalMinutes: number, now = Date.now()): Promise<{ shared: boolean; traffic: Array<BackendTraffic | null> }> {
    const everyReplica = await this.redisBackends(backends, totalMinutes, now);
    if (everyReplica) return { shared: true, traffic: everyReplica };
    return { shared: false, traffic: await this.recorder.backends(backends, totalMinutes, now) };
  }

  /** The lines a viewer sees, newest first: every replica's last RECENT_REQUESTS from Redis (`shared`), or this router's own. */
  async lines(filter: LineFilter): Promise<{ shared: boolean; lines: RequestLine[] }> {
    const everyReplica = await this.redisLines(filter);
    if (everyReplica) return { shared: true, lines: everyReplica };
    return { shared: false, lines: await this.recorder.lines(filter) };
  }

  /** Undefined without Redis (or on a Redis error). */
  private async redisBackends(backends: readonly string[], totalMinutes: number, now: number): Promise<Array<BackendTraffic | null> | undefined> {
    const client = this.upClient();
    if (!client) return undefined;
    const current = Math.floor(now / MINUTE_MS);
    const minutes = Array.from({ length: SERIES_MINUTES }, (_, i) => (current - SERIES_MINUTES + 1 + i) * MINUTE_MS);
    const pipeline = client.pipeline();
    for (const name of backends) for (const start of minutes) pipeline.hgetall(seriesKey(name, start));
    try {
      const replies = (await pipeline.exec()) ?? [];
      return backends.map((_, b) => {
        const series = new MinuteSeries();
        let recorded = false;
        minutes.forEach((start, m) => {
          const [err, hash] = replies[b * minutes.length + m] ?? [];
          if (err) throw err;
          const counts = parseCounts(hash as Record<string, string> | null);
          if (counts) series.addCounts(start, counts);
          recorded ||= counts !== undefined;
        });
        return recorded ? { points: series.points(now), totals: series.totals(totalMinutes, now), requestsPerMinute: series.requestsPerMinute(now) } : null;
      });
    } catch {
      return undefined;
    }
  }

  /** Undefined without Redis (or on a Redis error). */
  private async redisLines(filter: LineFilter): Promise<RequestLine[] | undefined> {
    const client = this.upClient();
    if (!client) return undefined;
    try {
      const texts = await client.lrange(RECENT_KEY, 0, RECENT_REQUESTS - 1);
      const wanted = lineMatches(filter);
      const lines: RequestLine[] = [];
      for (const text of texts) {
        try {
          const line = JSON.parse(text) as RequestLine;
          if (wanted(line)) lines.push(line);
        } catch {
          // a line some other writer left there: skipped
        }
      }
      return lines;
    } catch {
      return undefined;
    }
  }

  private write(line: RequestLine, attempts: Array<[string, EndedAttempt]>, now: number): void {
    const client = this.upClient();
    if (!client) return;
    const pipeline = client.pipeline();
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    for (const [backend, attempt] of attempts) {
      const key = seriesKey(backend, minute);
      pipeline.hincrby(key, 'r', 1);
      if (attempt.failed) pipeline.hincrby(key, 'e', 1);
      const ttfb = attempt.ttfbMs === undefined ? undefined : latencyBucket(attempt.ttfbMs);
      if (ttfb !== undefined) pipeline.hincrby(key, `t${ttfb}`, 1);
      const overhead = attempt.overheadMs === undefined ? undefined : latencyBucket(attempt.overheadMs);
      if (overhead !== undefined) pipeline.hincrby(key, `o${overhead}`, 1);
      pipeline.pexpire(key, SERIES_TTL_MS);
    }
    pipeline.lpush(RECENT_KEY, JSON.stringify(line)).ltrim(RECENT_KEY, 0, RECENT_REQUESTS - 1);
    // A line lost while Redis goes away only thins the shared view; this replica's own view still has it.
    pipeline.exec().catch(() => undefined);
  }

  private upClient() {
    return this.redis.isUp ? this.redis.client : undefined;
  }
}

function seriesKey(backend: string, minuteStart: number): string {
  return `${PREFIX}${minuteStart}:${backend}`;
}

/** r, e, t<bucket>, o<bucket> fields back into counts; null for a minute nobody recorded. */
function parseCounts(hash: Record<string, string> | null): MinuteCounts | undefined {
  if (!hash || Object.keys(hash).length === 0) return undefined;
  const counts: MinuteCounts = { requests: Number(hash.r ?? 0), errors: Number(hash.e ?? 0), ttfb: [], overhead: [] };
  for (const [field, value] of Object.entries(hash)) {
    const bucket = Number(field.slice(1));
    if (!Number.isInteger(bucket)) continue;
    if (field[0] === 't') counts.ttfb.push([bucket, Number(value)]);
    else if (field[0] === 'o') counts.overhead.push([bucket, Number(value)]);
  }
  return counts;
}
