import { MemoryResponseStore, RECORD_OVERHEAD_BYTES } from './memory-response-store';
import { findItem, itemIdsOf, parseRecord, recordText, type StoredResponse } from './response-store';

const record = (id: string, text = 'x', key = 'alice', inputIds = [`in_${id}`]): StoredResponse => ({
  key,
  response: { id, object: 'response', output: [{ type: 'message', id: `msg_${id}`, role: 'assistant', content: [{ type: 'output_text', text }] }] },
  input: inputIds.map((itemId) => ({ type: 'message', id: itemId, role: 'user', content: 'hi' })),
});

function save(store: MemoryResponseStore, r: StoredResponse) {
  return store.save(r.key, r.response.id as string, recordText(r), itemIdsOf(r));
}

const limits = (maxBytes: number, ttlSeconds = 60) => ({ maxBytes, ttlSeconds });

describe('MemoryResponseStore', () => {
  it('finds a kept response and the items in it by id, for its owner only', () => {
    const store = new MemoryResponseStore(limits(100_000));
    expect(save(store, record('r1', 'hello'))).toBe('stored');
    const kept = parseRecord('alice', store.get('alice', 'r1')!);
    expect(kept.response.id).toBe('r1');
    expect(findItem(parseRecord('alice', store.itemHolder('alice', 'msg_r1')!), 'msg_r1')).toMatchObject({ content: [{ text: 'hello' }] });
    expect(store.itemHolder('alice', 'in_r1')).toBeDefined();
    expect(store.get('bob', 'r1')).toBeUndefined();
    expect(store.itemHolder('bob', 'msg_r1')).toBeUndefined();
  });

  it('keeps item_reference to an earlier response working when a later one holding the same item is deleted', () => {
    const store = new MemoryResponseStore(limits(100_000));
    save(store, record('r1', 'first', 'alice', ['shared']));
    save(store, record('r2', 'second', 'alice', ['shared']));
    expect(store.remove('alice', 'r2')).toBe(true);
    expect(parseRecord('alice', store.itemHolder('alice', 'shared')!).response.id).toBe('r1');
  });

  it("does not let another key's item with the same id touch an owner's index", () => {
    const store = new MemoryResponseStore(limits(100_000));
    save(store, record('r1', 'alice says', 'alice', ['item_1']));
    save(store, record('r9', 'bob says', 'bob', ['item_1']));
    store.remove('bob', 'r9');
    expect(parseRecord('alice', store.itemHolder('alice', 'item_1')!).response.id).toBe('r1');
    // Same response id under two owners: two records.
    save(store, record('r1', 'bob again', 'bob'));
    expect(store.get('alice', 'r1')).toContain('alice says');
    expect(store.get('bob', 'r1')).toContain('bob again');
  });

  it('answers ids that look like its own keys or index entries with nothing', () => {
    const store = new MemoryResponseStore(limits(100_000));
    save(store, record('r1'));
    for (const id of ['item:msg_r1', 'msg_r1', '5:alicer1', '', '__proto__', 'constructor']) expect(store.get('alice', id)).toBeUndefined();
    expect(store.get('5:alice', 'r1')).toBeUndefined();
    expect(store.itemHolder('alice', '__proto__')).toBeUndefined();
  });

  it('forgets a response once its time is up, and a sweep frees what nobody reads again', () => {
    let now = 1_000;
    const store = new MemoryResponseStore(limits(100_000, 5), () => now);
    save(store, record('r1'));
    save(store, record('r2'));
    now += 4_999;
    expect(store.get('alice', 'r1')).toBeDefined();
    now += 1;
    expect(store.get('alice', 'r1')).toBeUndefined();
    expect(store.itemHolder('alice', 'msg_r1')).toBeUndefined();
    expect(store.size).toBe(1);
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(0);
    expect(store.totalBytes).toBe(0);
  });

  it('counts the bytes it holds, the index included, and stays within its budget dropping the least recently used', () => {
    const one = MemoryResponseStore.costOf(recordText(record('a')), itemIdsOf(record('a')), 'alice', 'a');
    expect(one).toBeGreaterThan(Buffer.byteLength(recordText(record('a'))) + RECORD_OVERHEAD_BYTES);
    const store = new MemoryResponseStore(limits(one * 3));
    for (const id of ['a', 'b', 'c']) save(store, record(id));
    store.get('alice', 'a'); // a is now the most recently used
    save(store, record('d'));
    expect(['a', 'b', 'c', 'd'].filter((id) => store.get('alice', id))).toEqual(['a', 'c', 'd']);
    expect(store.itemHolder('alice', 'msg_b')).toBeUndefined();
    expect(store.totalBytes).toBe(one * 3);
  });

  it('refuses a record larger than the whole budget and says so, counting multi-byte text at its real size', () => {
    const store = new MemoryResponseStore(limits(2_000));
    expect(save(store, record('ascii', 'a'.repeat(1_000)))).toBe('stored');
    // 600 characters, 2,400 bytes of UTF-8: over the budget although its length is not.
    expect(save(store, record('emoji', '😀'.repeat(600)))).toBe('too_large');
    expect(store.get('alice', 'emoji')).toBeUndefined();
    expect(store.get('alice', 'ascii')).toBeDefined();
  });

  it('applies new limits at once', () => {
    const store = new MemoryResponseStore(limits(100_000));
    save(store, record('a'));
    save(store, record('b'));
    store.setLimits(limits(store.totalBytes / 2 + 1));
    expect(store.get('alice', 'a')).toBeUndefined();
    expect(store.get('alice', 'b')).toBeDefined();
  });

  it('stays within its budget over a million records, and still finds the newest', () => {
    const budget = 8 << 20;
    const store = new MemoryResponseStore(limits(budget));
    const text = '{"response":{"id":"r","output":[]},"input":[]}';
    for (let i = 0; i < 1_000_000; i++) store.save(`key${i % 10}`, `resp_${i}`, text, [`item_${i}`]);
    expect(store.totalBytes).toBeLessThanOrEqual(budget);
    expect(store.size).toBeLessThan(budget / RECORD_OVERHEAD_BYTES);
    expect(store.get('key9', 'resp_999999')).toBe(text);
    expect(store.itemHolder('key9', 'item_999999')).toBe(text);
    expect(store.get('key0', 'resp_0')).toBeUndefined();
  });
});
