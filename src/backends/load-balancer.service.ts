import { Injectable } from '@nestjs/common';
import { OpenAIError } from '../common/openai-error';
import type { CompiledBackend, CompiledPool, RouterConfig } from '../config/compiled-config';
import { RouterConfigService } from '../config/router-config.service';
import { FAILED_ATTEMPT_TTFB_MS, newMemberLoad, pickIndex, recordTtfb, type MemberLoad } from './balancing-strategies';

/** A member taken for one attempt; `release` ends its in-flight count (safe to call more than once). */
export interface MemberSlot {
  member: CompiledBackend;
  release: () => void;
}

interface Waiter {
  /** The waiting request's own copy of a member it may use, by name; undefined when it may not. */
  accepts(name: string): CompiledBackend | undefined;
  give(slot: MemberSlot): void;
}

/** One member's figures for the metrics and the dashboard. */
export interface MemberReport extends Readonly<MemberLoad> {
  pool: string;
  name: string;
}

/**
 * The balancing state of this replica: requests in flight per pool member (open streams count until they
 * end), their recent time to first byte, and the requests waiting for a member below max_concurrent. State
 * is kept by member name, so a reload that keeps a member keeps its counts.
 */
@Injectable()
export class LoadBalancerService {
  private readonly loads = new Map<string, MemberLoad>();
  private readonly waiting = new Map<string, Waiter[]>();
  private config: RouterConfig;

  constructor(configService: RouterConfigService) {
    this.config = configService.current;
    configService.onChange((config) => {
      this.config = config;
      const names = new Set(config.backends.map((b) => b.name));
      // A removed member's requests still release the object they hold; the map forgets it.
      for (const name of this.loads.keys()) if (!names.has(name)) this.loads.delete(name);
    });
  }

  loadOf(name: string): MemberLoad {
    let load = this.loads.get(name);
    if (!load) {
      load = newMemberLoad();
      this.loads.set(name, load);
    }
    return load;
  }

  /**
   * A member for one attempt among `candidates` (all usable for this request), or undefined when every one
   * is at max_concurrent. `sticky`: candidates are in the session's rendezvous order and the first with
   * room is taken; otherwise the pool's strategy picks.
   */
  choose(pool: CompiledPool, candidates: readonly CompiledBackend[], sticky: boolean, now = Date.now()): MemberSlot | undefined {
    const open: CompiledBackend[] = [];
    const loads: MemberLoad[] = [];
    for (const member of candidates) {
      const load = this.loadOf(member.name);
      if (member.maxConcurrent > 0 && load.inFlight >= member.maxConcurrent) continue;
      if (sticky) return this.take(pool.prefix, member, load);
      open.push(member);
      loads.push(load);
    }
    if (open.length === 0) return undefined;
    const i = pickIndex(pool.strategy, open, loads, now);
    return this.take(pool.prefix, open[i], loads[i]);
  }

  /**
   * Waits for a slot of any of `candidates` at most `waitMs`, then rejects with 503 backend_pool_full; a
   * slot that frees goes straight to the longest-waiting request that may use it.
   */
  wait(pool: CompiledPool, candidates: readonly CompiledBackend[], waitMs: number, signal: AbortSignal): Promise<MemberSlot> {
    const queue = this.waiting.get(pool.prefix) ?? [];
    this.waiting.set(pool.prefix, queue);
    return new Promise<MemberSlot>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const i = queue.indexOf(waiter);
        if (i !== -1) queue.splice(i, 1);
      };
      const waiter: Waiter = {
        accepts: (name) => candidates.find((c) => c.name === name),
        give: (slot) => {
          leave();
          resolve(slot);
        },
      };
      const onAbort = () => {
        leave();
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        leave();
        const names = candidates.map((c) => `"${c.name}"`).join(', ');
        reject(
          new OpenAIError(503, 'backend_pool_full', `Every backend of "${pool.prefix}" (${names}) is at its max_concurrent; none came free within ${waitMs} ms.`),
        );
      }, waitMs);
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  noteTtfb(member: CompiledBackend, ms: number, now = Date.now()): void {
    recordTtfb(this.loadOf(member.name), ms, now);
  }

  /** An attempt on `member` failed in a way another member may fix: to `latency`, it is now slow. */
  noteFailure(member: CompiledBackend, now = Date.now()): void {
    recordTtfb(this.loadOf(member.name), FAILED_ATTEMPT_TTFB_MS, now);
  }

  noteFailover(member: CompiledBackend): void {
    this.loadOf(member.name).failedOver++;
  }

  /** A session request ended: `home` is the member its key hashes to; a hit when that member answered it. */
  noteAffinity(home: CompiledBackend, answered: CompiledBackend | undefined): void {
    const load = this.loadOf(home.name);
    if (home.name === answered?.name) load.affinityHits++;
    else load.affinityMisses++;
  }

  /** Every member of the pools in force, with its figures. */
  report(): MemberReport[] {
    return this.config.pools.flatMap((pool) => pool.members.map((m) => ({ ...this.loadOf(m.name), pool: pool.prefix, name: m.name })));
  }

  waitingByPool(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const pool of this.config.pools) counts.set(pool.prefix, this.waiting.get(pool.prefix)?.length ?? 0);
    return counts;
  }

  private take(prefix: string, member: CompiledBackend, load: MemberLoad): MemberSlot {
    load.inFlight++;
    load.chosen++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      load.inFlight--;
      this.handOff(prefix, member.name, load);
    };
    return { member, release };
  }

  /** A freed slot goes at once to the first waiting request that may use this member. */
  private handOff(prefix: string, name: string, load: MemberLoad): void {
    const queue = this.waiting.get(prefix);
    if (!queue || queue.length === 0) return;
    for (const waiter of queue) {
      const member = waiter.accepts(name);
      if (!member) continue;
      if (member.maxConcurrent > 0 && load.inFlight >= member.maxConcurrent) return;
      waiter.give(this.take(prefix, member, load));
      return;
    }
  }
}
