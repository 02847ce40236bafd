import type { JsonObject } from '../common/proxy-context';

// What every response store (memory, Redis, the cluster primary's) keeps and answers. A record is the
// serialized text of one response with its full input, under its owner (the name of the key that
// created it) and its id; the item index maps an owner's item ids to the responses holding them.
// Stores deal in text only: it is what they count against their budget, and what crosses a process.

/** What continuing a stored response needs: its full input (history included) and the response. */
export interface StoredResponse {
  /** The name of the API key that created it; only that key may read it. */
  key: string;
  response: JsonObject;
  input: JsonObject[];
}

export interface StoreLimits {
  ttlSeconds: number;
  maxBytes: number;
}

/** `too_large`: the record alone is over the store's byte budget, so it was not kept. */
export type SaveOutcome = 'stored' | 'too_large';

export interface ResponseStore {
  save(owner: string, id: string, text: string, itemIds: string[], limits: StoreLimits): Promise<SaveOutcome>;
  /** The text of `owner`'s response `id`. */
  get(owner: string, id: string): Promise<string | undefined>;
  /** The text of `owner`'s most recently stored response that holds the item `itemId`. */
  itemHolder(owner: string, itemId: string): Promise<string | undefined>;
  delete(owner: string, id: string): Promise<boolean>;
}

/** The stored form of a record: the owner is the store's key, not part of the text. */
export function recordText(record: StoredResponse): string {
  return JSON.stringify({ response: record.response, input: record.input });
}

export function parseRecord(owner: string, text: string): StoredResponse {
  const { response, input } = JSON.parse(text) as { response: JsonObject; input: JsonObject[] };
  return { key: owner, response, input };
}

/** Ids of a stored response's items (output first), which item_reference may name; each once. */
export function itemIdsOf(record: StoredResponse): string[] {
  const ids = new Set<string>();
  for (const item of [...outputOf(record), ...record.input]) if (typeof item?.id === 'string') ids.add(item.id);
  return [...ids];
}

/** The item with id `itemId` in a stored response (output first). */
export function findItem(record: StoredResponse, itemId: string): JsonObject | undefined {
  return itemsById(record).get(itemId);
}

/** A stored response's items by id, for many look-ups: the first of an id wins, output first. */
export function itemsById(record: StoredResponse): Map<string, JsonObject> {
  const items = new Map<string, JsonObject>();
  for (const item of [...outputOf(record), ...record.input]) {
    if (typeof item?.id === 'string' && !items.has(item.id)) items.set(item.id, item);
  }
  return items;
}

function outputOf(record: StoredResponse): JsonObject[] {
  return Array.isArray(record.response.output) ? (record.response.output as JsonObject[]) : [];
}
