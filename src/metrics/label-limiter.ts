import { printable } from '../common/client-text';

/**
 * Caps how many distinct values one label may take. Model names come from clients, so without a cap a
 * client sending random model names would grow the metrics without bound; past the cap they count as "other".
 * Reserved values (the configured names) always keep their own label, and a new value takes a place
 * only when the caller admits it (a request the backend served), so unknown names cannot use up the places.
 */
export class LabelLimiter {
  /** Raw value -> its label (made printable once). */
  private readonly seen = new Map<string, string>();
  /** Reserved raw value -> its label, made printable when reserved rather than on every request. */
  private reserved: ReadonlyMap<string, string> = new Map();

  constructor(private readonly max: number) {}

  /** Values labelled as themselves whatever the cap (replaces the previous set: config reloads). */
  reserve(values: Iterable<string>): void {
    this.reserved = new Map(Array.from(values, (v): [string, string] => [v, printable(v)]));
  }

  value(raw: string | undefined, fallback = 'none', admit = true): string {
    if (raw === undefined || raw === '') return fallback;
    const known = this.seen.get(raw);
    if (known !== undefined) return known;
    const reserved = this.reserved.get(raw);
    if (reserved !== undefined) return reserved;
    if (!admit || this.seen.size >= this.max) return 'other';
    const label = printable(raw);
    this.seen.set(raw, label);
    return label;
  }
}
