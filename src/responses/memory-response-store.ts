import type { JsonObject } from '../common/proxy-context';

// Stored responses in this process: bounded in time (ttl) and in total size (the least recently used
// go first), with an index from item ids to the response holding them, for item_reference.

/** What continuing a stored response needs: its full input (history included) and the response. */
export interface StoredResponse {
  /** The name of the API key that created it; only that key may read it. */
  key: string;
  response: JsonObject;
  input: JsonObject[];
}

interface Entry {
  record: StoredResponse;
  bytes: number;
  expiresAt: number;
  itemIds: string[];
}

export class MemoryResponseStore {
  private readonly entries = new Map<string, Entry>();
  private readonly itemOwners = new Map<string, string>();
  private bytes = 0;

  constructor(
    private ttlMs: number,
    private maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** New limits (a config reload): kept records stay unless the new size budget pushes them out. */
  setLimits(ttlMs: number, maxBytes: number): void {
    this.ttlMs = ttlMs;
    this.maxBytes = maxBytes;
    this.evict();
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** Keeps `record` (of serialized size `bytes`); one larger than the whole budget is not kept. */
  save(record: StoredResponse, bytes: number): void {
    const id = record.response.id as string;
    this.remove(id);
    if (bytes > this.maxBytes) return;
    const itemIds = itemIdsOf(record);
    this.entries.set(id, { record, bytes, expiresAt: this.now() + this.ttlMs, itemIds });
    for (const itemId of itemIds) this.itemOwners.set(itemId, id);
    this.bytes += bytes;
    this.evict();
  }

  private evict(): void {
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
  }

  get(id: string): StoredResponse | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(id);
      return undefined;
    }
    // Most recently used last: eviction starts from the front.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.record;
  }

  /** The id of the response holding the item `itemId`. */
  ownerOf(itemId: string): string | undefined {
    return this.itemOwners.get(itemId);
  }

  remove(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    this.bytes -= entry.bytes;
    for (const itemId of entry.itemIds) if (this.itemOwners.get(itemId) === id) this.itemOwners.delete(itemId);
    return true;
  }
}

/** Ids of a stored response's items (output first), which item_reference may name. */
export function itemIdsOf(record: StoredResponse): string[] {
  const ids: string[] = [];
  const output = Array.isArray(record.response.output) ? (record.response.output as JsonObject[]) : [];
  for (const item of [...output, ...record.input]) if (typeof item.id === 'string') ids.push(item.id);
  return ids;
}

/** The item with id `itemId` in a stored response (output first). */
export function findItem(record: StoredResponse, itemId: string): JsonObject | undefined {
  const output = Array.isArray(record.response.output) ? (record.response.output as JsonObject[]) : [];
  return output.find((i) => i.id === itemId) ?? record.input.find((i) => i.id === itemId);
}
