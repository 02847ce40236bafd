/**
 * Caps how many distinct values one label may take. Model names come from clients, so without a cap a
 * client sending random model names would grow the metrics without bound; past the cap they count as "other".
 */
export class LabelLimiter {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  value(raw: string | undefined, fallback = 'none'): string {
    if (raw === undefined || raw === '') return fallback;
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(raw);
    return raw;
  }
}
