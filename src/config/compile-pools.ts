import type { CompiledBackend, CompiledPool } from './compiled-config';
import type { BackendConfig, LoadBalancingConfig } from './router-config';
import { memberSeeds } from './rendezvous-hash';

/**
 * Groups backends that share a prefix into pools and links each member to its pool. A backend alone on
 * its prefix without max_concurrent gets no pool: its requests take the plain path, with no balancing cost.
 */
export function compilePools(backends: CompiledBackend[], balancing: LoadBalancingConfig | undefined): CompiledPool[] {
  const byPrefix = new Map<string, CompiledBackend[]>();
  for (const b of backends) {
    const members = byPrefix.get(b.prefix);
    if (members) members.push(b);
    else byPrefix.set(b.prefix, [b]);
  }
  const pools: CompiledPool[] = [];
  for (const [prefix, members] of byPrefix) {
    if (members.length === 1 && members[0].maxConcurrent === 0) continue;
    const pool: CompiledPool = {
      prefix,
      members,
      strategy: balancing?.strategy ?? 'least_busy',
      sessionAffinity: balancing?.session_affinity ?? true,
      seeds: memberSeeds(members.map((m) => m.name)),
    };
    for (const m of members) m.pool = pool;
    pools.push(pool);
  }
  return pools;
}

/** One backend per prefix (the first configured), longest prefix first. */
export function backendsByPrefix(backends: readonly CompiledBackend[]): CompiledBackend[] {
  const seen = new Set<string>();
  const firsts = backends.filter((b) => !seen.has(b.prefix) && seen.add(b.prefix));
  return firsts.sort((a, b) => b.prefix.length - a.prefix.length);
}

/** Above this, -weight / ln(h) can overflow to Infinity and rendezvous scores would tie. */
const MAX_WEIGHT = 1_000_000;

/** The pool rules class-validator cannot say: weights in (0, MAX_WEIGHT], defaults in one pool. */
export function poolProblems(backends: Array<Partial<BackendConfig>>): string[] {
  const problems: string[] = [];
  backends.forEach((b, i) => {
    if (typeof b.weight === 'number' && Number.isFinite(b.weight) && !(b.weight > 0 && b.weight <= MAX_WEIGHT)) {
      problems.push(`backends[${i}].weight: must be greater than 0 and at most ${MAX_WEIGHT} (got ${b.weight})`);
    }
  });
  const defaults = backends.flatMap((b, i) => (b.default === true ? [i] : []));
  const defaultPrefixes = new Set(defaults.map((i) => backends[i].prefix));
  if (defaultPrefixes.size > 1) {
    problems.push(
      `backends: only one backend may be the default (or members of one pool, sharing a prefix), found ${defaults.map((i) => `backends[${i}]`).join(', ')}`,
    );
  }
  return problems;
}
