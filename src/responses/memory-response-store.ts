import type { SaveOutcome, StoreLimits } from './response-store';

// Stored responses in one process: bounded in time (ttl) and in total size (the least recently used go
// first). A record is kept as its serialized text and counted at the size V8 holds it in, so the budget is
// what is really held; each record and each item-index entry also pays a fixed overhead for the maps and
// objects around it. The item index is
// per owner, and lists every response holding an item: deleting one leaves the others findable.

/** Map entry, entry object, list links and key string of one record, roughly (measured on Node 20). */
export const RECORD_OVERHEAD_BYTES = 320;
/** One item id in the index: its string twice (index and record) plus a Set slot and a map entry. */
const INDEX_ENTRY_OVERHEAD_BYTES = 96;

/** How often expired records are swept out (a record nobody reads again would stay until evicted). */
const SWEEP_EVERY_MS = 60_000;

interface Entry {
  owner: string;
  id: string;
  text: string;
  cost: number;
  expiresAt: number;
  itemIds: string[];
  // Recency list: older toward `head`. A list, not Map order: a Map whose front is deleted over and over
  // keeps the holes until it rehashes, and each new iterator walks them (quadratic at a million records).
  older?: Entry;
  newer?: Entry;
}

export class MemoryResponseStore {
  private readonly entries = new Map<string, Entry>();
  /** Least recently used; `tail` is the most recent. */
  private head?: Entry;
  private tail?: Entry;
  /** Owner -> item id -> keys of the owner's records holding it (oldest first). */
  private readonly index = new Map<string, Map<string, Set<string>>>();
  private bytes = 0;

  constructor(
    private limits: StoreLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** New limits (a config reload): kept records stay unless the new size budget pushes them out. */
  setLimits(limits: StoreLimits): void {
    if (limits.ttlSeconds === this.limits.ttlSeconds && limits.maxBytes === this.limits.maxBytes) return;
    this.limits = { ...limits };
    this.evict();
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** What a record costs against the budget. */
  static costOf(text: string, itemIds: string[], owner: string, id: string): number {
    let cost = stringBytes(text) + RECORD_OVERHEAD_BYTES + 2 * (owner.length + id.length);
    for (const itemId of itemIds) cost += INDEX_ENTRY_OVERHEAD_BYTES + 4 * itemId.length;
    return cost;
  }

  save(owner: string, id: string, text: string, itemIds: string[]): SaveOutcome {
    const key = keyOf(owner, id);
    this.removeKey(key);
    const cost = MemoryResponseStore.costOf(text, itemIds, owner, id);
    if (cost > this.limits.maxBytes) return 'too_large';
    const entry: Entry = { owner, id, text, cost, expiresAt: this.now() + this.limits.ttlSeconds * 1000, itemIds };
    this.entries.set(key, entry);
    this.append(entry);
    let items = this.index.get(owner);
    if (!items) this.index.set(owner, (items = new Map()));
    for (const itemId of itemIds) {
      let holders = items.get(itemId);
      if (!holders) items.set(itemId, (holders = new Set()));
      holders.add(key);
    }
    this.bytes += cost;
    this.evict();
    return 'stored';
  }

  get(owner: string, id: string): string | undefined {
    return this.touch(keyOf(owner, id))?.text;
  }

  /** The text of the owner's most recently stored live record holding `itemId`. */
  itemHolder(owner: string, itemId: string): string | undefined {
    const holders = this.index.get(owner)?.get(itemId);
    if (!holders) return undefined;
    const keys = [...holders];
    for (let i = keys.length - 1; i >= 0; i--) {
      const entry = this.touch(keys[i]);
      if (entry) return entry.text;
    }
    return undefined;
  }

  remove(owner: string, id: string): boolean {
    return this.removeKey(keyOf(owner, id));
  }

  /** Drops every expired record (run now and then: a record nobody reads again would stay until evicted). */
  sweep(): number {
    const now = this.now();
    let dropped = 0;
    for (let entry = this.head; entry; ) {
      const next = entry.newer;
      if (entry.expiresAt <= now) {
        this.removeKey(keyOf(entry.owner, entry.id));
        dropped++;
      }
      entry = next;
    }
    return dropped;
  }

  /** Sweeps now and then from here on; the timer never keeps the process alive. */
  sweepPeriodically(): NodeJS.Timeout {
    return setInterval(() => this.sweep(), SWEEP_EVERY_MS).unref();
  }

  /** The live entry under `key`, made the most recently used; an expired one is dropped. */
  private touch(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.removeKey(key);
      return undefined;
    }
    this.unlink(entry);
    this.append(entry);
    return entry;
  }

  private evict(): void {
    while (this.head && this.bytes > this.limits.maxBytes) this.removeKey(keyOf(this.head.owner, this.head.id));
  }

  private append(entry: Entry): void {
    entry.older = this.tail;
    entry.newer = undefined;
    if (this.tail) this.tail.newer = entry;
    else this.head = entry;
    this.tail = entry;
  }

  private unlink(entry: Entry): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.head = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.tail = entry.older;
    entry.older = entry.newer = undefined;
  }

  private removeKey(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.unlink(entry);
    this.bytes -= entry.cost;
    const items = this.index.get(entry.owner);
    if (items) {
      for (const itemId of entry.itemIds) {
        const holders = items.get(itemId);
        holders?.delete(key);
        if (holders?.size === 0) items.delete(itemId);
      }
      if (items.size === 0) this.index.delete(entry.owner);
    }
    return true;
  }
}

/** Unambiguous whatever the characters of owner and id. */
function keyOf(owner: string, id: string): string {
  return `${owner.length}:${owner}${id}`;
}

/**
 * What a string really takes in V8: one byte a character when every character fits in Latin-1 (JSON of
 * ASCII text), two otherwise. Measured on the string the store keeps, not on its UTF-8 form.
 */
function stringBytes(text: string): number {
  return NOT_LATIN1.test(text) ? text.length * 2 : text.length;
}
const NOT_LATIN1 = /[^\u0000-\u00ff]/;
