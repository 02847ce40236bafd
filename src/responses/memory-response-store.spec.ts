import { findItem, MemoryResponseStore, type StoredResponse } from './memory-response-store';

const record = (id: string, text = 'x', key = 'alice'): StoredResponse => ({
  key,
  response: { id, object: 'response', output: [{ type: 'message', id: `msg_${id}`, role: 'assistant', content: [{ type: 'output_text', text }] }] },
  input: [{ type: 'message', id: `in_${id}`, role: 'user', content: 'hi' }],
});

describe('MemoryResponseStore', () => {
  it('finds a kept response and the items in it by id', () => {
    const store = new MemoryResponseStore(60_000, 10_000);
    store.save(record('r1', 'hello'), 100);
    const kept = store.get('r1')!;
    expect(kept.response.id).toBe('r1');
    expect(store.ownerOf('msg_r1')).toBe('r1');
    expect(store.ownerOf('in_r1')).toBe('r1');
    expect(findItem(kept, 'msg_r1')).toMatchObject({ content: [{ text: 'hello' }] });
    expect(findItem(kept, 'nope')).toBeUndefined();
  });

  it('forgets a response once its time is up', () => {
    let now = 1_000;
    const store = new MemoryResponseStore(5_000, 10_000, () => now);
    store.save(record('r1'), 100);
    now += 4_999;
    expect(store.get('r1')).toBeDefined();
    now += 1;
    expect(store.get('r1')).toBeUndefined();
    expect(store.totalBytes).toBe(0);
  });

  it('stays within its size budget by dropping the least recently used first', () => {
    const store = new MemoryResponseStore(60_000, 300);
    store.save(record('a'), 100);
    store.save(record('b'), 100);
    store.save(record('c'), 100);
    store.get('a'); // a is now the most recently used
    store.save(record('d'), 100);
    expect(['a', 'b', 'c', 'd'].filter((id) => store.get(id))).toEqual(['a', 'c', 'd']);
    expect(store.ownerOf('msg_b')).toBeUndefined();
    expect(store.totalBytes).toBe(300);
  });

  it('does not keep a response larger than the whole budget, and applies smaller limits at once', () => {
    const store = new MemoryResponseStore(60_000, 300);
    store.save(record('big'), 301);
    expect(store.get('big')).toBeUndefined();
    store.save(record('a'), 100);
    store.save(record('b'), 100);
    store.setLimits(60_000, 150);
    expect(store.get('a')).toBeUndefined();
    expect(store.get('b')).toBeDefined();
  });

  it('removes a response and its item index', () => {
    const store = new MemoryResponseStore(60_000, 1_000);
    store.save(record('r1'), 100);
    expect(store.remove('r1')).toBe(true);
    expect(store.remove('r1')).toBe(false);
    expect(store.get('r1')).toBeUndefined();
    expect(store.ownerOf('msg_r1')).toBeUndefined();
  });
});
