import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { OpenAIError } from '../common/openai-error';
import { recordUpstreamError, type ProxyContext, type RouterRequest } from '../common/proxy-context';
import type { CompiledBackend, CompiledPool } from '../config/compiled-config';
import type { SentTarget } from './answer-relay.service';
import { upstreamEndpoint } from './bridge-relay';
import { CircuitBreakerService } from './circuit-breaker.service';
import { LoadBalancerService, type MemberSlot } from './load-balancer.service';
import { rendezvousOrder } from './rendezvous';
import { sessionKeyOf } from './session-key';
import { retryDelay, serializedBody } from './upstream-request';

/** What a pool attempt gives the upstream request: the member's in-flight release, and its headers' arrival. */
export interface MemberHooks {
  release: () => void;
  onHeaders: (ms: number, status: number) => void;
  /** The member failed (a failed status, or no answer): to `latency`, it is now slow. */
  onFailure: () => void;
  /** Another member of the pool is left to try: a member that never answered is left for it. */
  otherMemberLeft: boolean;
}

export type AttemptVerdict = { done: true } | { done: false; retry: boolean; error: OpenAIError; retryAfterMs?: number };

/** BackendClientService's single attempt on one member (see its `attempt`). */
export type AttemptFn = (sent: SentTarget, trial: { trial: boolean }, body: string, lastTry: boolean, hooks: MemberHooks) => Promise<AttemptVerdict>;

export function missingKeyError(backend: CompiledBackend): OpenAIError {
  return new OpenAIError(503, 'backend_key_missing', `Backend "${backend.name}" needs an API key: set ${backend.missingKeyEnv} in the router's environment and restart it.`);
}

/**
 * One request's attempts on a pool: each attempt goes to a member chosen among those that serve the
 * endpoint, whose circuit lets it be tried, that have tries left (1 + their own `retries`) and room below
 * max_concurrent: the session's home first when the request has a session key, else by the strategy.
 * Untried members come before a second try of any, so a failure moves to another box at once; a
 * member tried again waits its backoff. Each attempt uses that member's own settings.
 */
@Injectable()
export class PoolAttemptsService {
  constructor(
    private readonly balancer: LoadBalancerService,
    private readonly breaker: CircuitBreakerService,
  ) {}

  async tryPool(
    ctx: ProxyContext,
    pool: CompiledPool,
    model: string,
    req: RouterRequest,
    signal: AbortSignal,
    isLastTarget: boolean,
    attempt: AttemptFn,
  ): Promise<AttemptVerdict> {
    const serving = pool.members.filter((m) => upstreamEndpoint(ctx, m) !== undefined);
    if (serving.length === 0) {
      const error = new OpenAIError(404, 'endpoint_not_supported', `No backend of "${pool.prefix}" serves /v1/${ctx.endpoint} (it is not in their "endpoints" lists).`, 'invalid_request_error');
      return { done: false, retry: false, error };
    }
    const key = pool.sessionAffinity ? sessionKeyOf(ctx.body, req.headers) : undefined;
    const order = key === undefined ? serving : rendezvousOrder(pool, key).map((i) => pool.members[i]).filter((m) => serving.includes(m));
    const tries = new Map<string, number>();
    let lastError: OpenAIError | undefined;
    let retryAfterMs: number | undefined;
    let previous: CompiledBackend | undefined;

    for (;;) {
      const candidates = this.candidates(order, tries, isLastTarget);
      if (candidates.length === 0) break;
      let slot: MemberSlot | undefined = this.balancer.choose(pool, candidates, key !== undefined);
      if (!slot) {
        try {
          slot = await this.balancer.wait(pool, candidates, candidates[0].options.connect_timeout_ms, signal);
        } catch (error) {
          if (!(error instanceof OpenAIError)) return { done: true }; // the client left while waiting
          recordUpstreamError(ctx.outcome, pool.prefix, error.code);
          if (key !== undefined) this.balancer.noteAffinity(order[0], undefined);
          return { done: false, retry: false, error };
        }
      }
      const member = slot.member;
      if (previous !== undefined && previous !== member) this.balancer.noteFailover(previous);
      previous = member;
      const tried = tries.get(member.name) ?? 0;
      tries.set(member.name, tried + 1);
      if (tried > 0) {
        try {
          await sleep(retryDelay(tried, retryAfterMs, member.options.max_retry_delay_ms), undefined, { signal });
        } catch {
          slot.release();
          return { done: true }; // client left during the backoff
        }
      }
      const trial = { trial: this.breaker.claimTrial(member.name) };
      const endpoint = upstreamEndpoint(ctx, member)!;
      const sent: SentTarget = { backend: member, model, endpoint, bridged: endpoint !== ctx.endpoint };
      const lastTry = isLastTarget && this.candidates(order, tries, isLastTarget).length === 0;
      const hooks: MemberHooks = {
        release: slot.release,
        onHeaders: (ms, status) => {
          // A failed status is counted by onFailure: a member that answers errors at once is not fast.
          if (status < 500 && status !== 429) this.balancer.noteTtfb(member, ms);
        },
        onFailure: () => this.balancer.noteFailure(member),
        otherMemberLeft: this.candidates(order, new Map(tries).set(member.name, Number.MAX_SAFE_INTEGER), isLastTarget).length > 0,
      };
      let verdict: AttemptVerdict;
      try {
        verdict = await attempt(sent, trial, serializedBody(ctx, sent), lastTry, hooks);
      } finally {
        // A trial that got no verdict (client left, pool unavailable) goes back for the next request.
        if (trial.trial) this.breaker.releaseTrial(member.name);
      }
      if (verdict.done) {
        if (key !== undefined) this.balancer.noteAffinity(order[0], member);
        return verdict;
      }
      lastError = verdict.error;
      retryAfterMs = verdict.retryAfterMs;
      // Unavailable (removed by a reload, its connection pool full): no more tries on this member.
      // The same for a member that never answered: another member is tried, this one not again.
      if (!verdict.retry) tries.set(member.name, Number.MAX_SAFE_INTEGER);
    }
    if (key !== undefined) this.balancer.noteAffinity(order[0], undefined);
    return { done: false, retry: false, error: lastError ?? this.unusableError(pool, order) };
  }

  /**
   * The members to choose from now, in session order: not open-circuit, with tries left, and among them
   * the least tried. When every circuit is open and nothing else can serve, they are tried anyway.
   */
  private candidates(order: readonly CompiledBackend[], tries: ReadonlyMap<string, number>, isLastTarget: boolean): CompiledBackend[] {
    const now = Date.now();
    const withTries = order.filter((m) => !m.missingKeyEnv && (tries.get(m.name) ?? 0) <= m.options.retries);
    let usable = withTries.filter((m) => this.breaker.mayTry(m.name, now));
    if (usable.length === 0 && isLastTarget && tries.size === 0) usable = withTries;
    if (usable.length <= 1) return usable;
    let least = Infinity;
    for (const m of usable) least = Math.min(least, tries.get(m.name) ?? 0);
    return usable.filter((m) => (tries.get(m.name) ?? 0) === least);
  }

  private unusableError(pool: CompiledPool, order: readonly CompiledBackend[]): OpenAIError {
    const missing = order.find((m) => m.missingKeyEnv);
    if (missing && order.every((m) => m.missingKeyEnv)) return missingKeyError(missing);
    return new OpenAIError(503, 'backend_unavailable', `Every backend of "${pool.prefix}" is unavailable (circuit open) and no fallback is left.`);
  }
}
