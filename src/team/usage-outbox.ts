import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** One counter increment waiting for Redis: HINCRBY hash field n, then the hash expires at `expiresAt`. */
interface Increment {
  hash: string;
  field: string;
  n: number;
  expiresAt: number;
}

/** Past this many distinct increments waiting (a long outage with many keys and models), new ones stay local only. */
const MAX_PENDING = 50_000;
/** How long Redis remembers the last batch a replica applied (longer than any kept usage window). */
const APPLIED_TTL_MS = 9 * 86_400_000;
const RETRY_MS = 1_000;

// Applies a batch once: the replica's last applied sequence number is kept beside the counters, so a
// batch sent again (its reply was lost when Redis went away) is recognised and skipped. Batches are
// sent one at a time, in order, so "seq <= last" means "already counted".
const APPLY_ONCE = `
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 3, #ARGV, 4 do
  redis.call('HINCRBY', ARGV[i], ARGV[i + 1], ARGV[i + 2])
  redis.call('PEXPIRE', ARGV[i], ARGV[i + 3])
end
return 1`;

type ApplyOnce = (appliedKey: string, ...args: Array<string | number>) => Promise<number>;

/**
 * The usage increments of this replica on their way to Redis. Each request's increments are queued,
 * merged with any still waiting, and sent as one numbered batch; a batch that fails (Redis away, reply
 * lost) is kept as it is and sent again until Redis has it, while newer increments wait in the next one.
 * So usage counted during an outage reaches Redis when it returns, once.
 */
export class UsageOutbox {
  /** hash + field -> increment not yet in a batch. */
  private pending = new Map<string, Increment>();
  private batch?: { seq: number; increments: Increment[] };
  private seq = 0;
  private running = false;
  private retryTimer?: NodeJS.Timeout;
  private readonly appliedKey = `llmrouter:usage:applied:${randomUUID()}`;
  private overflowed = false;

  /** `retry` is called RETRY_MS after a failed send (it flushes again if Redis is up); `onOverflow` once per overflow. */
  constructor(
    private readonly retry: () => void,
    private readonly onOverflow: () => void = () => undefined,
  ) {}

  /** Increments waiting (queued or in the batch being sent). */
  get size(): number {
    return this.pending.size + (this.batch?.increments.length ?? 0);
  }

  add(hash: string, field: string, n: number, expiresAt: number): void {
    if (!(n > 0)) return;
    const id = `${hash}\n${field}`;
    const waiting = this.pending.get(id);
    if (waiting) {
      waiting.n += n;
      return;
    }
    if (this.pending.size >= MAX_PENDING) {
      if (!this.overflowed) this.onOverflow();
      this.overflowed = true;
      return;
    }
    this.pending.set(id, { hash, field, n, expiresAt });
  }

  /** Sends what waits, one batch after the other; returns when all is in Redis or a send failed. */
  async flush(client: Redis, now: () => number = Date.now): Promise<void> {
    // One send at a time, in order; increments added meanwhile go in the next batch of this same loop.
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        if (!this.batch) {
          const t = now();
          // Increments of windows Redis no longer keeps are not worth sending.
          const increments = [...this.pending.values()].filter((i) => i.expiresAt > t);
          this.pending = new Map();
          this.overflowed = false;
          if (increments.length === 0) return;
          this.batch = { seq: ++this.seq, increments };
        }
        await applyOnce(client)(this.appliedKey, ...batchArgs(this.batch.seq, this.batch.increments, now()));
        this.batch = undefined;
      }
    } catch {
      // Kept: sent again on the next request, when Redis is back, or after RETRY_MS.
      this.retryTimer ??= setTimeout(() => {
        this.retryTimer = undefined;
        this.retry();
      }, RETRY_MS).unref();
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

function batchArgs(seq: number, increments: Increment[], now: number): Array<string | number> {
  const args: Array<string | number> = [seq, APPLIED_TTL_MS];
  for (const i of increments) args.push(i.hash, i.field, i.n, Math.max(1, i.expiresAt - now));
  return args;
}

function applyOnce(client: Redis): ApplyOnce {
  const named = client as Redis & { llmrouterApplyOnce?: ApplyOnce };
  if (!named.llmrouterApplyOnce) client.defineCommand('llmrouterApplyOnce', { numberOfKeys: 1, lua: APPLY_ONCE });
  return named.llmrouterApplyOnce!.bind(client);
}
