import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Response } from 'express';
import { IpcClient } from '../cluster/ipc-channel';
import type { RouterRequest } from '../common/proxy-context';
import { finalStatus, RequestEventsService } from '../common/request-events.service';
import { RateLimitService } from './rate-limit.service';
import { RedisConnectionService } from './redis-connection.service';
import {
  emptyRow,
  HISTORY_DAYS,
  historyDayStarts,
  sortRows,
  TokenCounts,
  USAGE_WINDOW_NAMES,
  USAGE_WINDOWS,
  UsageCounters,
  UsageRow,
  UsageWindowName,
  windowStart,
} from './usage-counters';
import { UsageOutbox } from './usage-outbox';

export interface UsageWindowReport {
  window: UsageWindowName;
  start: string;
  end: string;
  data: UsageRow[];
}

export interface UsageReport {
  object: 'usage';
  /** true when the numbers come from Redis, i.e. from every replica. */
  shared: boolean;
  windows: UsageWindowReport[];
}

/** The last HISTORY_DAYS UTC days, oldest first, today last. */
export interface UsageHistory {
  shared: boolean;
  days: Array<{ start: string; data: UsageRow[] }>;
}

/** One Redis hash per window and counter; the field is the JSON [key, model]. */
const COUNTERS = ['requests', 'prompt_tokens', 'completion_tokens', 'tokens'] as const;
type Counter = (typeof COUNTERS)[number];
const ROW_FIELD: Record<Counter, keyof UsageRow> = {
  requests: 'requests',
  prompt_tokens: 'prompt_tokens',
  completion_tokens: 'completion_tokens',
  tokens: 'total_tokens',
};
/** How long Redis keeps a window's hashes: two minutes, or the kept days plus one. */
const RETENTION_MS: Record<UsageWindowName, number> = { minute: 2 * USAGE_WINDOWS.minute, day: (HISTORY_DAYS + 1) * USAGE_WINDOWS.day };

/**
 * Records what every finished proxied request used: requests and prompt/completion/total tokens per key
 * and model (in memory, and in Redis hashes per window so replicas agree), and charges the tokens to the
 * key's tokens_per_minute budget. A stream counts when it ends. Days are kept for a week. With `workers` > 1
 * and no Redis, the counters are the primary's (every worker adds to and reads the same ones).
 */
@Injectable()
export class UsageService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Usage');
  private readonly memory = new UsageCounters();
  /** What this replica counted and Redis does not have yet (sent per request; kept through an outage). */
  private readonly outbox = new UsageOutbox(
    () => this.flushRedis(),
    () => this.logger.warn('too much usage is waiting for Redis: new usage is counted in this replica only until Redis is back'),
  );
  private readonly ipc = IpcClient.get();

  constructor(
    private readonly events: RequestEventsService,
    private readonly limits: RateLimitService,
    private readonly redis: RedisConnectionService,
  ) {
    redis.onUp(() => {
      if (this.outbox.size > 0) this.logger.log(`sending the usage counted while Redis was away (${this.outbox.size} counters)`);
      this.flushRedis();
    });
  }

  onModuleInit(): void {
    this.events.onRequestEnd((req, res) => this.onRequestEnd(req, res));
  }

  onModuleDestroy(): void {
    this.outbox.stop();
  }

  /** Usage in the current windows; only `onlyKey`'s rows when given. */
  async report(onlyKey?: string, now = Date.now()): Promise<UsageReport> {
    const starts = USAGE_WINDOW_NAMES.map((window) => windowStart(window, now));
    const shared = await this.readRedis(USAGE_WINDOW_NAMES.map((window, i) => [window, starts[i]]));
    const locals = shared ? [] : await Promise.all(USAGE_WINDOW_NAMES.map((window) => this.localRows(window, now)));
    const windows = USAGE_WINDOW_NAMES.map((window, i) => ({
      window,
      start: new Date(starts[i]).toISOString(),
      end: new Date(starts[i] + USAGE_WINDOWS[window]).toISOString(),
      data: only(shared?.[i] ?? locals[i], onlyKey),
    }));
    return { object: 'usage', shared: shared !== undefined, windows };
  }

  /** Per-day usage over the last week; only `onlyKey`'s rows when given. */
  async history(onlyKey?: string, now = Date.now()): Promise<UsageHistory> {
    const starts = historyDayStarts(now);
    const shared = await this.readRedis(starts.map((start) => ['day', start]));
    const locals = shared ? [] : await Promise.all(starts.map((start) => this.localDay(start)));
    const days = starts.map((start, i) => ({
      start: new Date(start).toISOString(),
      data: only(shared?.[i] ?? locals[i], onlyKey),
    }));
    return { shared: shared !== undefined, days };
  }

  private onRequestEnd(req: RouterRequest, res: Response): void {
    const ctx = req.llmrouter;
    const name = req.apiKeyName;
    if (!ctx || !name) return;
    const o = ctx.outcome;
    const tokens = { prompt: o.promptTokens ?? 0, completion: o.completionTokens ?? 0, total: o.totalTokens ?? 0 };
    // A model name gets a row of its own only once a backend served it (see UsageCounters).
    const served = o.backend !== undefined && finalStatus(req, res) < 400;
    const now = Date.now();
    const primary = this.primary;
    if (primary) {
      primary.send('usage.add', name, ctx.requestedModel, tokens, now, served);
    } else {
      const model = this.memory.add(name, ctx.requestedModel, tokens, now, served);
      if (this.redis.client) this.writeRedis(name, model, tokens, now);
    }
    // Only keys with a token budget are charged (no promise per request for the others).
    const key = req.clientKey;
    if (key?.tokensPerMinute && tokens.total > 0) {
      this.limits.chargeTokens(key, tokens.total).catch((err: Error) => this.logger.warn(`could not charge tokens: ${err.message}`));
    }
  }

  /** The primary keeping the counters: a worker (`workers` > 1) without Redis; undefined otherwise. */
  private get primary(): IpcClient | undefined {
    return this.redis.client ? undefined : this.ipc;
  }

  private async localRows(window: UsageWindowName, now: number): Promise<UsageRow[]> {
    const primary = this.primary;
    if (primary) return primary.call<UsageRow[]>('usage.rows', window, now);
    return this.memory.rows(window, now);
  }

  private async localDay(start: number): Promise<UsageRow[]> {
    const primary = this.primary;
    if (primary) return primary.call<UsageRow[]>('usage.day', start);
    return this.memory.day(start);
  }

  /** Queues the request's increments for Redis (every window and counter), then sends them if Redis is up. */
  private writeRedis(key: string, model: string, tokens: TokenCounts, now: number): void {
    const field = JSON.stringify([key, model]);
    const amounts: Record<Counter, number> = { requests: 1, prompt_tokens: tokens.prompt, completion_tokens: tokens.completion, tokens: tokens.total };
    for (const window of USAGE_WINDOW_NAMES) {
      const start = windowStart(window, now);
      const base = redisKey(window, start);
      for (const counter of COUNTERS) this.outbox.add(`${base}:${counter}`, field, Math.round(amounts[counter]), start + RETENTION_MS[window]);
    }
    this.flushRedis();
  }

  private flushRedis(): void {
    const client = this.redis.client;
    if (client && this.redis.isUp) void this.outbox.flush(client);
  }

  /** The rows of each [window, start] from Redis in one round trip; undefined without Redis or on error. */
  private async readRedis(windows: Array<[UsageWindowName, number]>): Promise<UsageRow[][] | undefined> {
    const client = this.redis.client;
    if (!client || !this.redis.isUp) return undefined;
    try {
      const pipeline = client.pipeline();
      for (const [window, start] of windows) {
        for (const counter of COUNTERS) pipeline.hgetall(`${redisKey(window, start)}:${counter}`);
      }
      const replies = (await pipeline.exec()) ?? [];
      return windows.map((_, w) => {
        const rows = new Map<string, UsageRow>();
        COUNTERS.forEach((counter, c) => {
          const [err, hash] = replies[w * COUNTERS.length + c] ?? [];
          if (err) throw err;
          for (const [field, n] of Object.entries((hash ?? {}) as Record<string, string>)) {
            let row = rows.get(field);
            if (!row) {
              const [key, model] = JSON.parse(field) as [string, string];
              row = emptyRow(key, model);
              rows.set(field, row);
            }
            (row[ROW_FIELD[counter]] as number) = Number(n);
          }
        });
        return sortRows(rows.values());
      });
    } catch {
      return undefined;
    }
  }
}

function only(rows: UsageRow[], key: string | undefined): UsageRow[] {
  return key === undefined ? rows : rows.filter((r) => r.key === key);
}

function redisKey(window: UsageWindowName, start: number): string {
  return `llmrouter:usage:${window}:${start}`;
}
