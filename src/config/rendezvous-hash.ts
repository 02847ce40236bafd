// The hashes behind session affinity (rendezvous hashing): plain 32-bit mixing, the same on every replica
// and every Node version, because a session must land on the same member wherever it is routed.

/** Session keys longer than this are hashed by their start: a 30 MB `user` field must not stall the loop. */
const MAX_KEY_CHARS = 1024;

const KEY_SEED_1 = 0x2545f491;
const KEY_SEED_2 = 0x68e31da4;
const NAME_SEED_1 = 0x9747b28c;
const NAME_SEED_2 = 0x1b873593;

/** MurmurHash3's finalizer: every input bit moves about half the output bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a string's UTF-16 code units (its first `MAX_KEY_CHARS`). */
function hash32(text: string, seed: number): number {
  const n = Math.min(text.length, MAX_KEY_CHARS);
  let h = seed >>> 0;
  for (let i = 0; i < n; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return fmix32(h ^ n);
}

/** Two seeds per member name, computed when the config is loaded. */
export function memberSeeds(names: readonly string[]): Uint32Array {
  const seeds = new Uint32Array(names.length * 2);
  names.forEach((name, i) => {
    seeds[2 * i] = hash32(name, NAME_SEED_1);
    seeds[2 * i + 1] = hash32(name, NAME_SEED_2);
  });
  return seeds;
}

/** A session key's two 32-bit hashes. */
export function keyHashes(key: string): [number, number] {
  return [hash32(key, KEY_SEED_1), hash32(key, KEY_SEED_2)];
}

/**
 * Weighted rendezvous score of one member for one key: -weight / ln(u), u uniform in (0, 1) from 53 bits
 * of (key, member) hash. The member with the highest score owns the key; since a member's score depends on
 * the key and that member alone, removing a member moves only the keys it owned.
 */
export function rendezvousScore(k1: number, k2: number, seed1: number, seed2: number, weight: number): number {
  const high = fmix32(k1 ^ seed1);
  const low = fmix32(k2 ^ seed2) >>> 11;
  const u = (high * 2 ** 21 + low + 0.5) / 2 ** 53;
  return -weight / Math.log(u);
}
