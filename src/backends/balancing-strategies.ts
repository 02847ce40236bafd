import type { CompiledBackend } from '../config/compiled-config';
import type { BalancingStrategy } from '../config/router-config';

/** What the balancer knows about one member on this replica. */
export interface MemberLoad {
  inFlight: number;
  /** Exponentially weighted average time to first byte, ms; undefined before the first measurement. */
  ttfbEwmaMs: number | undefined;
  measuredAt: number;
  /** Smooth weighted round robin's running weight. */
  rrCurrent: number;
  chosen: number;
  failedOver: number;
  affinityHits: number;
  affinityMisses: number;
}

export function newMemberLoad(): MemberLoad {
  return { inFlight: 0, ttfbEwmaMs: undefined, measuredAt: 0, rrCurrent: 0, chosen: 0, failedOver: 0, affinityHits: 0, affinityMisses: 0 };
}

/** How fast the average follows new measurements: each new one counts for 30 %. */
const EWMA_ALPHA = 0.3;
/** A measurement older than this counts as none: the member is tried again, so a box that got faster is noticed. */
export const LATENCY_STALE_MS = 30_000;

/**
 * A failed attempt (5xx, 429, refused, timed out) counts as a measurement this slow: a box that fails at once
 * must not look fast to `latency`, nor stay unmeasured and so be tried first every time. It is tried again
 * once the measurement is stale.
 */
export const FAILED_ATTEMPT_TTFB_MS = 60_000;

export function recordTtfb(load: MemberLoad, ms: number, now: number): void {
  load.ttfbEwmaMs = load.ttfbEwmaMs === undefined || now - load.measuredAt > LATENCY_STALE_MS ? ms : EWMA_ALPHA * ms + (1 - EWMA_ALPHA) * load.ttfbEwmaMs;
  load.measuredAt = now;
}

/**
 * The index of the member to send a request to, among members that can all take one now (same order as
 * `loads`). `random` is injectable for tests.
 */
export function pickIndex(
  strategy: BalancingStrategy,
  members: readonly CompiledBackend[],
  loads: readonly MemberLoad[],
  now: number,
  random: () => number = Math.random,
): number {
  if (members.length === 1) return 0;
  switch (strategy) {
    case 'round_robin':
      return smoothWeightedRoundRobin(members, loads);
    case 'latency':
      return lowestLatency(loads, now);
    case 'random':
      return weightedRandom(members, random);
    default:
      return leastBusy(members, loads, random);
  }
}

/** Fewest requests in flight relative to weight (counting the one about to be sent); ties broken at random. */
function leastBusy(members: readonly CompiledBackend[], loads: readonly MemberLoad[], random: () => number): number {
  let best: number[] = [];
  let bestScore = Infinity;
  for (let i = 0; i < members.length; i++) {
    const score = (loads[i].inFlight + 1) / members[i].weight;
    if (score < bestScore) {
      bestScore = score;
      best = [i];
    } else if (score === bestScore) best.push(i);
  }
  return best[Math.floor(random() * best.length)];
}

/** nginx's smooth weighted round robin: weights 2:1 give a, b, a, a, b, a … never long runs of one member. */
function smoothWeightedRoundRobin(members: readonly CompiledBackend[], loads: readonly MemberLoad[]): number {
  let total = 0;
  let best = 0;
  for (let i = 0; i < members.length; i++) {
    loads[i].rrCurrent += members[i].weight;
    total += members[i].weight;
    if (loads[i].rrCurrent > loads[best].rrCurrent) best = i;
  }
  loads[best].rrCurrent -= total;
  return best;
}

/** Unmeasured (or stale) members first, the least busy of them; then the lowest average time to first byte. */
function lowestLatency(loads: readonly MemberLoad[], now: number): number {
  let best = -1;
  let bestUnmeasured = -1;
  for (let i = 0; i < loads.length; i++) {
    const load = loads[i];
    if (load.ttfbEwmaMs === undefined || now - load.measuredAt > LATENCY_STALE_MS) {
      if (bestUnmeasured === -1 || load.inFlight < loads[bestUnmeasured].inFlight) bestUnmeasured = i;
    } else if (best === -1 || load.ttfbEwmaMs < loads[best].ttfbEwmaMs!) best = i;
  }
  return bestUnmeasured !== -1 ? bestUnmeasured : best;
}

function weightedRandom(members: readonly CompiledBackend[], random: () => number): number {
  let total = 0;
  for (const m of members) total += m.weight;
  let r = random() * total;
  for (let i = 0; i < members.length; i++) {
    r -= members[i].weight;
    if (r < 0) return i;
  }
  return members.length - 1;
}
