import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Agent } from 'undici';
import { OpenAIError } from '../common/openai-error';
import type { CompiledBackend, RouterConfig } from '../config/compiled-config';
import { RouterConfigService } from '../config/router-config.service';

/** One backend's keep-alive pool, its settings, and the requests waiting for a slot when it is capped. */
interface Pool {
  settings: string;
  agent: Agent;
  /** max_sockets, or 0 for no cap. */
  cap: number;
  busy: number;
  waiting: Array<() => void>;
}

/** Frees the pool slot a request holds; safe to call more than once. */
export type ReleaseSlot = () => void;

const NO_SLOT: ReleaseSlot = () => undefined;

/**
 * The upstream connection pools, one per backend, with its timeouts. A config reload keeps the pools of
 * backends whose connection settings did not change (their keep-alive connections stay warm) and closes
 * the others once their requests are done. A request still running on an older config never opens a
 * pool for a backend that is no longer configured.
 *
 * With `max_sockets` set, a request waits for a free connection at most `connect_timeout_ms`, then gets
 * a 503; the number waiting is shown in the metrics. Without it (the default) the pool does not queue.
 */
@Injectable()
export class UpstreamPoolsService implements OnModuleDestroy {
  private readonly pools = new Map<string, Pool>();
  private config: RouterConfig;

  constructor(configService: RouterConfigService) {
    this.config = configService.current;
    configService.onChange((config) => this.adopt(config));
  }

  async onModuleDestroy(): Promise<void> {
    const agents = [...this.pools.values()].map((p) => p.agent);
    this.pools.clear();
    await Promise.all(agents.map((a) => a.destroy().catch(() => undefined)));
  }

  /** The pool of a backend of the config in force; throws a 503 for one a reload removed. */
  poolFor(backend: CompiledBackend): Agent {
    return this.poolOf(backend).agent;
  }

  /**
   * Takes a connection slot of the backend's pool, waiting at most connect_timeout_ms when it is capped
   * and full. Synchronous when there is no wait (the common case costs no promise).
   */
  acquire(backend: CompiledBackend, signal: AbortSignal): ReleaseSlot | Promise<ReleaseSlot> {
    const pool = this.poolOf(backend);
    if (pool.cap === 0) return NO_SLOT;
    if (pool.busy >= pool.cap) return this.waitForSlot(pool, backend, signal).then(() => this.take(pool));
    return this.take(pool);
  }

  private take(pool: Pool): ReleaseSlot {
    pool.busy++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      pool.busy--;
      pool.waiting.shift()?.();
    };
  }

  /** Requests waiting for a connection right now, by backend (for the metrics). */
  waitingByBackend(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [name, pool] of this.pools) counts.set(name, pool.waiting.length);
    return counts;
  }

  private poolOf(backend: CompiledBackend): Pool {
    const existing = this.pools.get(backend.name);
    if (existing) return existing;
    const current = this.config.backends.find((b) => b.name === backend.name);
    if (!current) {
      throw new OpenAIError(503, 'backend_removed', `Backend "${backend.name}" was removed by a config reload while this request was in progress.`);
    }
    // A request on an older snapshot uses the pool of the backend as it is configured now.
    const pool = newPool(current);
    this.pools.set(current.name, pool);
    return pool;
  }

  private waitForSlot(pool: Pool, backend: CompiledBackend, signal: AbortSignal): Promise<void> {
    const waitMs = backend.options.connect_timeout_ms;
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const i = pool.waiting.indexOf(wake);
        if (i !== -1) pool.waiting.splice(i, 1);
      };
      const wake = () => {
        leave();
        resolve();
      };
      const onAbort = () => {
        leave();
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        leave();
        reject(
          new OpenAIError(
            503,
            'backend_pool_full',
            `Backend "${backend.name}" has all its ${pool.cap} connections (max_sockets) busy; none came free within ${waitMs} ms.`,
          ),
        );
      }, waitMs);
      signal.addEventListener('abort', onAbort, { once: true });
      pool.waiting.push(wake);
    });
  }

  private adopt(config: RouterConfig): void {
    this.config = config;
    for (const [name, pool] of this.pools) {
      const backend = config.backends.find((b) => b.name === name);
      if (backend && settingsOf(backend) === pool.settings) continue;
      // Gone or changed: requests in flight finish on the old pool, which then closes.
      this.pools.delete(name);
      void pool.agent.close().catch(() => undefined);
    }
  }
}

/** What a pool is built from: a change to any of these needs a new pool. */
function settingsOf(backend: CompiledBackend): string {
  const o = backend.options;
  return JSON.stringify([backend.baseUrl, o.max_sockets, o.connect_timeout_ms, o.timeout_ms, o.stream_idle_timeout_ms]);
}

function newPool(backend: CompiledBackend): Pool {
  const o = backend.options;
  const cap = o.max_sockets > 0 ? o.max_sockets : 0;
  const agent = new Agent({
    // undici's default (no limit) unless max_sockets caps it.
    connections: cap || null,
    connect: { timeout: o.connect_timeout_ms },
    headersTimeout: o.timeout_ms,
    bodyTimeout: o.stream_idle_timeout_ms,
    keepAliveTimeout: 30_000,
  });
  return { settings: settingsOf(backend), agent, cap, busy: 0, waiting: [] };
}
