import { Injectable, Logger } from '@nestjs/common';
import type { RouteTarget } from '../common/proxy-context';

interface CircuitState {
  consecutiveFailures: number;
  openUntil: number;
  trialInFlight: boolean;
}

/**
 * Per-backend circuit breaker. After `circuit_failures` failed attempts in a row a backend is skipped for
 * `circuit_cooldown_ms` by requests that have another target; then exactly one trial request decides
 * whether it closes again. A request with no other target always tries its backend.
 */
@Injectable()
export class CircuitBreakerService {
  private readonly logger = new Logger('CircuitBreaker');
  private readonly states = new Map<string, CircuitState>();

  /** The targets to try, in order, with open circuits left out while another target remains. */
  plan(targets: RouteTarget[], now = Date.now()): Array<RouteTarget & { trial: boolean }> {
    // A pool's members have circuits of their own (PoolAttemptsService claims their trials).
    if (targets.length === 1) return [{ ...targets[0], trial: !targets[0].backend.pool && this.claimTrial(targets[0].backend.name, now) }];
    const usable: Array<RouteTarget & { trial: boolean }> = [];
    for (const target of targets) {
      if (target.backend.pool) {
        // Usable while one of its members may be tried.
        if (target.backend.pool.members.some((m) => this.mayTry(m.name, now))) usable.push({ ...target, trial: false });
      } else if (!this.isTripped(target.backend.name)) usable.push({ ...target, trial: false });
      else if (this.claimTrial(target.backend.name, now)) usable.push({ ...target, trial: true });
    }
    // Every circuit open: still try the last target rather than failing without asking anyone.
    return usable.length > 0 ? usable : [{ ...targets[targets.length - 1], trial: false }];
  }

  recordSuccess(backend: string, trial: boolean): void {
    const state = this.states.get(backend);
    if (!state) return;
    if (state.openUntil !== 0) this.logger.log(`circuit for backend "${backend}" closed${trial ? ' by a trial request' : ''}`);
    this.states.delete(backend);
  }

  recordFailure(backend: string, trial: boolean, failures: number, cooldownMs: number, now = Date.now()): void {
    let state = this.states.get(backend);
    if (!state) {
      state = { consecutiveFailures: 0, openUntil: 0, trialInFlight: false };
      this.states.set(backend, state);
    }
    state.consecutiveFailures++;
    if (trial) state.trialInFlight = false;
    if (trial || (state.openUntil === 0 && state.consecutiveFailures >= failures)) {
      state.openUntil = now + cooldownMs;
      this.logger.warn(`circuit for backend "${backend}" opened for ${cooldownMs} ms after ${state.consecutiveFailures} failures in a row`);
    }
  }

  /** A trial that ended without a verdict (client left) gives the next request the chance. */
  releaseTrial(backend: string): void {
    const state = this.states.get(backend);
    if (state) state.trialInFlight = false;
  }

  isOpen(backend: string, now = Date.now()): boolean {
    const state = this.states.get(backend);
    return !!state && state.openUntil !== 0 && now < state.openUntil;
  }

  /** For the dashboard: closed, open (skipped until the cooldown ends) or half_open (a trial decides). */
  stateOf(backend: string, now = Date.now()): 'closed' | 'open' | 'half_open' {
    const state = this.states.get(backend);
    if (!state || state.openUntil === 0) return 'closed';
    return now < state.openUntil ? 'open' : 'half_open';
  }

  /** Closed, or open with its cooldown over and no trial in flight (the caller then claims the trial). */
  mayTry(backend: string, now = Date.now()): boolean {
    const state = this.states.get(backend);
    return !state || state.openUntil === 0 || (now >= state.openUntil && !state.trialInFlight);
  }

  /** True when this request is the one trial of an open circuit whose cooldown is over (it is claimed). */
  claimTrial(backend: string, now = Date.now()): boolean {
    const state = this.states.get(backend);
    if (!state || state.openUntil === 0 || now < state.openUntil || state.trialInFlight) return false;
    state.trialInFlight = true;
    return true;
  }

  /** The circuit has opened (it may be past its cooldown, waiting for a trial). */
  private isTripped(backend: string): boolean {
    const state = this.states.get(backend);
    return !!state && state.openUntil !== 0;
  }
}
