import { Injectable } from '@nestjs/common';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { IpcClient } from '../cluster/ipc-channel';
import type { ClientKey } from '../common/client-key';
import { OpenAIError } from '../common/openai-error';
import { RedisConnectionService } from './redis-connection.service';

const WINDOW_SECONDS = 60;
const CLUSTER_TIMEOUT_MS = 2_000;

// Loaded with the first limiter (the first wrong key, or a key with limits): a router without either
// never holds the library (about 0.7 MB resident).
let library: typeof import('rate-limiter-flexible') | undefined;
function limiterLibrary(): typeof import('rate-limiter-flexible') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (library ??= require('rate-limiter-flexible') as typeof import('rate-limiter-flexible'));
}

/** What a limiter rejects with when a budget is spent (any other error is a failure of the store). */
function isOverBudget(err: unknown): err is InstanceType<typeof import('rate-limiter-flexible').RateLimiterRes> {
  return library !== undefined && err instanceof library.RateLimiterRes;
}

type LimitKind = 'requests' | 'tokens' | 'auth_failures';

export interface KeyLimitUsage {
  kind: 'requests_per_minute' | 'tokens_per_minute';
  limit: number;
  used: number;
  /** Until the current minute's count starts over. */
  reset_ms: number;
}

/**
 * Per-key requests and tokens per minute, and failed authentications per client address, on
 * rate-limiter-flexible: with Redis the counts are shared by every replica (one atomic Lua INCR per
 * check), and while Redis is away each limiter falls back to its insurance limiter. With `workers` > 1,
 * the counts without Redis (and the insurance limiter's) are the primary's (RateLimiterCluster over the
 * cluster's IPC), so a key's limit holds for the whole router, not per worker.
 */
@Injectable()
export class RateLimitService {
  /** One limiter per kind and budget; the key name (or address) is the limiter's key. */
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private readonly clusterLimiters = new Map<string, RateLimiterAbstract>();
  /** A worker whose primary keeps the counts (`workers` > 1). */
  private readonly shared = IpcClient.get() !== undefined;

  constructor(private readonly redis: RedisConnectionService) {
    redis.onClientChange(() => this.limiters.clear());
  }

  /** Before forwarding: refuses while the token budget is spent, then takes one request from the budget. */
  async admit(key: ClientKey): Promise<void> {
    if (key.tokensPerMinute) {
      const spent = await this.limiter('tokens', key.tokensPerMinute).get(key.name);
      if (spent && spent.consumedPoints >= key.tokensPerMinute) {
        throw tooMany(
          `Rate limit reached for key "${key.name}": ${key.tokensPerMinute} tokens per minute are used up.`,
          spent.msBeforeNext,
        );
      }
    }
    if (key.requestsPerMinute) {
      try {
        await this.limiter('requests', key.requestsPerMinute).consume(key.name);
      } catch (err) {
        if (!isOverBudget(err)) throw err;
        throw tooMany(`Rate limit reached for key "${key.name}": ${key.requestsPerMinute} requests per minute.`, err.msBeforeNext);
      }
    }
  }

  /** After a response: its usage.total_tokens count against the key's budget (never refused: it is spent). */
  async chargeTokens(key: ClientKey, tokens: number): Promise<void> {
    const points = Math.round(tokens);
    if (!key.tokensPerMinute || !(points > 0)) return;
    await this.limiter('tokens', key.tokensPerMinute).penalty(key.name, points);
  }

  /** How much of each per-minute budget the key has used so far (read only: nothing is consumed). */
  async usageOf(key: ClientKey): Promise<KeyLimitUsage[]> {
    const budgets: Array<[LimitKind, number | undefined]> = [
      ['requests', key.requestsPerMinute],
      ['tokens', key.tokensPerMinute],
    ];
    const out: KeyLimitUsage[] = [];
    for (const [kind, limit] of budgets) {
      if (!limit) continue;
      const res = await this.limiter(kind, limit).get(key.name);
      out.push({ kind: kind === 'requests' ? 'requests_per_minute' : 'tokens_per_minute', limit, used: res?.consumedPoints ?? 0, reset_ms: res?.msBeforeNext ?? 0 });
    }
    return out;
  }

  /** A presented key was wrong: counts it for the address and says when the address is over its budget. */
  async authFailure(address: string, perMinute: number): Promise<OpenAIError | undefined> {
    if (perMinute <= 0) return undefined;
    try {
      await this.limiter('auth_failures', perMinute).consume(address);
      return undefined;
    } catch (err) {
      if (!isOverBudget(err)) throw err;
      return tooMany('Too many failed authentication attempts from this address.', err.msBeforeNext);
    }
  }

  private limiter(kind: LimitKind, points: number): RateLimiterAbstract {
    const id = `${kind}:${points}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const options = { keyPrefix: `llmrouter:limit:${kind}`, points, duration: WINDOW_SECONDS };
      const { RateLimiterMemory, RateLimiterRedis } = limiterLibrary();
      const local = this.shared ? this.clusterLimiter(id, options) : new RateLimiterMemory(options);
      const client = this.redis.client;
      limiter = client ? new RateLimiterRedis({ ...options, storeClient: client, insuranceLimiter: local, rejectIfRedisNotReady: true }) : local;
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  /**
   * The primary's limiter for `id` (workers without Redis, or while Redis is away). Made once per id: each
   * one listens on the process's IPC channel for its answers. The primary keeps one limiter per key prefix,
   * with the options it was first sent, so the budget is part of the prefix.
   */
  private clusterLimiter(id: string, options: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract {
    let limiter = this.clusterLimiters.get(id);
    if (!limiter) {
      limiter = new (limiterLibrary().RateLimiterCluster)({ ...options, keyPrefix: `${options.keyPrefix}:${options.points}`, timeoutMs: CLUSTER_TIMEOUT_MS });
      this.clusterLimiters.set(id, limiter);
    }
    return limiter;
  }
}

function tooMany(message: string, msBeforeNext: number): OpenAIError {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new OpenAIError(429, 'rate_limit_exceeded', `${message} Retry after ${seconds} s.`, 'rate_limit_error', {
    'retry-after': String(seconds),
  });
}
