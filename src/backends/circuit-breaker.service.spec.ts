import type { CompiledBackend } from '../config/compiled-config';
import type { RouteTarget } from '../common/proxy-context';
import { CircuitBreakerService } from './circuit-breaker.service';

const target = (name: string): RouteTarget => ({ backend: { name } as CompiledBackend, model: 'm' });
const names = (plan: Array<RouteTarget & { trial: boolean }>) => plan.map((t) => `${t.backend.name}${t.trial ? '(trial)' : ''}`);

describe('CircuitBreakerService', () => {
  const a = target('a');
  const b = target('b');
  let breaker: CircuitBreakerService;
  beforeEach(() => (breaker = new CircuitBreakerService()));

  const fail = (n: number, now = 0) => {
    for (let i = 0; i < n; i++) breaker.recordFailure('a', false, 3, 1000, now);
  };

  it('opens after `failures` failures in a row, and a success resets the count', () => {
    fail(2);
    breaker.recordSuccess('a', false);
    fail(2);
    expect(breaker.isOpen('a', 0)).toBe(false);
    fail(1);
    expect(breaker.isOpen('a', 0)).toBe(true);
    expect(breaker.isOpen('a', 999)).toBe(true);
  });

  it('skips an open backend when another target exists, but not for a single-target request', () => {
    fail(3);
    expect(names(breaker.plan([a, b], 10))).toEqual(['b']);
    expect(names(breaker.plan([a], 10))).toEqual(['a']);
  });

  it('after the cooldown hands out exactly one trial until it has a verdict', () => {
    fail(3);
    expect(names(breaker.plan([a, b], 1000))).toEqual(['a(trial)', 'b']);
    expect(names(breaker.plan([a, b], 1001))).toEqual(['b']);
    expect(names(breaker.plan([a], 1001))).toEqual(['a']);
    breaker.recordSuccess('a', true);
    expect(names(breaker.plan([a, b], 1002))).toEqual(['a', 'b']);
  });

  it('a failed trial opens the circuit for another cooldown', () => {
    fail(3);
    breaker.plan([a, b], 1000);
    breaker.recordFailure('a', true, 3, 1000, 1000);
    expect(names(breaker.plan([a, b], 1500))).toEqual(['b']);
    expect(names(breaker.plan([a, b], 2000))).toEqual(['a(trial)', 'b']);
  });

  it('a trial released without a verdict goes to the next request', () => {
    fail(3);
    breaker.plan([a, b], 1000);
    breaker.releaseTrial('a');
    expect(names(breaker.plan([a, b], 1001))).toEqual(['a(trial)', 'b']);
  });

  it('tries the last target rather than nothing when every circuit is open', () => {
    fail(3);
    for (let i = 0; i < 3; i++) breaker.recordFailure('b', false, 3, 1000, 0);
    expect(names(breaker.plan([a, b], 10))).toEqual(['b']);
  });
});
