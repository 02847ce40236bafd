import type { CompiledPool } from '../config/compiled-config';
import { keyHashes, rendezvousScore } from '../config/rendezvous-hash';

/**
 * A session's order of the pool's members (indexes into pool.members), its home first: weighted rendezvous
 * (highest-random-weight) hashing. The order depends only on the key, the member names and their weights,
 * so every replica computes the same, and a member that leaves moves only the sessions it was home to.
 */
export function rendezvousOrder(pool: CompiledPool, key: string): number[] {
  const [k1, k2] = keyHashes(key);
  const { members, seeds } = pool;
  const scores = members.map((m, i) => rendezvousScore(k1, k2, seeds[2 * i], seeds[2 * i + 1], m.weight));
  return members.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
}
