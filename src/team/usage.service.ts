import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { RouterRequest } from '../common/proxy-context';
import { ClientKeyService } from '../auth/client-key.service';
import { RequestEventsService } from '../common/request-events.service';
import { RateLimitService } from './rate-limit.service';
import { RedisConnectionService } from './redis-connection.service';
import {
  sortRows,
  USAGE_WINDOW_NAMES,
  USAGE_WINDOWS,
  UsageCounters,
  UsageRow,
  UsageWindowName,
  windowStart,
} from './usage-counters';

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

/**
 * Records what every finished proxied request used: requests and usage.total_tokens per key and model
 * (in memory, and in one Redis hash per window so replicas agree), and charges the tokens to the key's
 * tokens_per_minute budget. A stream counts when it ends.
 */
@Injectable()
export class UsageService implements OnModuleInit {
  private readonly logger = new Logger('Usage');
  private readonly memory = new UsageCounters();

  constructor(
    private readonly events: RequestEventsService,
    private readonly keys: ClientKeyService,
    private readonly limits: RateLimitService,
    private readonly redis: RedisConnectionService,
  ) {}

  onModuleInit(): void {
    this.events.onRequestEnd((req) => this.onRequestEnd(req));
  }

  /** Usage in the current windows; only `onlyKey`'s rows when given. */
  async report(onlyKey?: string, now = Date.now()): Promise<UsageReport> {
    const shared = await this.readRedis(now);
    const windows = USAGE_WINDOW_NAMES.map((window) => {
      const start = windowStart(window, now);
      const rows = shared?.get(window) ?? this.memory.rows(window, now);
      return {
        window,
        start: new Date(start).toISOString(),
        end: new Date(start + USAGE_WINDOWS[window]).toISOString(),
        data: onlyKey === undefined ? rows : rows.filter((r) => r.key === onlyKey),
      };
    });
    return { object: 'usage', shared: shared !== undefined, windows };
  }

  private onRequestEnd(req: RouterRequest): void {
    const ctx = req.llmrouter;
    const name = req.apiKeyName;
    if (!ctx || !name) return;
    const tokens = ctx.outcome.totalTokens ?? 0;
    this.memory.add(name, ctx.requestedModel, tokens);
    if (this.redis.client) void this.writeRedis(name, ctx.requestedModel, tokens);
    // Only keys with a token budget are charged (no promise per request for the others).
    const key = req.clientKey ?? this.keys.byName(name);
    if (key?.tokensPerMinute && tokens > 0) {
      this.limits.chargeTokens(key, tokens).catch((err: Error) => this.logger.warn(`could not charge tokens: ${err.message}`));
    }
  }

  private async writeRedis(key: string, model: string, tokens: number): Promise<void> {
    const client = this.redis.client;
    if (!client || !this.redis.isUp) return;
    const field = JSON.stringify([key, model]);
    const now = Date.now();
    const multi = client.multi();
    for (const window of USAGE_WINDOW_NAMES) {
      const base = redisKey(window, windowStart(window, now));
      multi.hincrby(`${base}:requests`, field, 1).pexpire(`${base}:requests`, USAGE_WINDOWS[window] * 2);
      if (tokens > 0) multi.hincrby(`${base}:tokens`, field, Math.round(tokens)).pexpire(`${base}:tokens`, USAGE_WINDOWS[window] * 2);
    }
    // A lost update while Redis goes away is acceptable: the in-memory counters still have it.
    await multi.exec().catch(() => undefined);
  }

  private async readRedis(now: number): Promise<Map<UsageWindowName, UsageRow[]> | undefined> {
    const client = this.redis.client;
    if (!client || !this.redis.isUp) return undefined;
    try {
      const result = new Map<UsageWindowName, UsageRow[]>();
      for (const window of USAGE_WINDOW_NAMES) {
        const base = redisKey(window, windowStart(window, now));
        const [requests, tokens] = await Promise.all([client.hgetall(`${base}:requests`), client.hgetall(`${base}:tokens`)]);
        const rows = new Map<string, UsageRow>();
        const row = (field: string) => {
          let r = rows.get(field);
          if (!r) {
            const [key, model] = JSON.parse(field) as [string, string];
            r = { key, model, requests: 0, total_tokens: 0 };
            rows.set(field, r);
          }
          return r;
        };
        for (const [field, n] of Object.entries(requests)) row(field).requests = Number(n);
        for (const [field, n] of Object.entries(tokens)) row(field).total_tokens = Number(n);
        result.set(window, sortRows(rows.values()));
      }
      return result;
    } catch {
      return undefined;
    }
  }
}

function redisKey(window: UsageWindowName, start: number): string {
  return `llmrouter:usage:${window}:${start}`;
}
