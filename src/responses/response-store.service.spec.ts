import type { StoredResponse } from './response-store';
import { memoryStoreService } from './response-store.test-support';

const record = (id: string, text = 'x', key = 'alice'): StoredResponse => ({
  key,
  response: { id, object: 'response', output: [{ type: 'message', id: `msg_${id}`, role: 'assistant', content: [{ type: 'output_text', text }] }] },
  input: [{ type: 'message', id: `in_${id}`, role: 'user', content: 'hi' }],
});

describe('ResponseStoreService without Redis', () => {
  afterEach(() => jest.useRealTimers());

  it('applies the limits of the config being loaded, not those of the one it replaces', async () => {
    const { service, reload } = memoryStoreService({ ttlSeconds: 600, maxBytes: 1 << 20 });
    for (const id of ['a', 'b', 'c']) expect(await service.save(record(id, 'y'.repeat(2_000)))).toBe(true);
    reload({ ttlSeconds: 600, maxBytes: 3_000 });
    // The new budget holds one of them: the older ones go at once.
    expect(await service.get('a', 'alice')).toBeUndefined();
    expect(await service.get('b', 'alice')).toBeUndefined();
    expect(await service.get('c', 'alice')).toBeDefined();
    expect(await service.save(record('d', 'y'.repeat(4_000)))).toBe(false);
  });

  it('keeps new responses for the ttl of the config being loaded', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { service, reload } = memoryStoreService({ ttlSeconds: 3_600, maxBytes: 1 << 20 });
    reload({ ttlSeconds: 10, maxBytes: 1 << 20 });
    await service.save(record('short'));
    jest.setSystemTime(1_000_000 + 11_000);
    expect(await service.get('short', 'alice')).toBeUndefined();
  });

  it('returns stored records to their owner only, with their items', async () => {
    const { service } = memoryStoreService({ ttlSeconds: 600, maxBytes: 1 << 20 });
    await service.save(record('r1', 'hello'));
    expect((await service.get('r1', 'alice'))?.response.id).toBe('r1');
    expect(await service.get('r1', 'bob')).toBeUndefined();
    expect(await service.item('msg_r1', 'alice')).toMatchObject({ content: [{ text: 'hello' }] });
    expect(await service.item('msg_r1', 'bob')).toBeUndefined();
    expect(await service.delete('r1', 'bob')).toBe(false);
    expect(await service.delete('r1', 'alice')).toBe(true);
    expect(await service.get('r1', 'alice')).toBeUndefined();
  });

  it('parses a stored response once for all the references one request makes into it', async () => {
    const { service } = memoryStoreService({ ttlSeconds: 600, maxBytes: 16 << 20 });
    const input = Array.from({ length: 2_000 }, (_, i) => ({ type: 'message', id: `in_${i}`, role: 'user', content: `turn ${i}` }));
    await service.save({ ...record('big'), input });
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const find = service.itemFinder('alice');
      const found = [];
      for (let i = 0; i < 2_000; i++) found.push(await find(`in_${i}`));
      expect(found.map((item) => item?.content)).toEqual(input.map((item) => item.content));
      // Parsed per reference, 2,000 references into one large record held the event loop for seconds.
      expect(parse.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      parse.mockRestore();
    }
  });

  it('refuses, without throwing, a record too deep to serialize', async () => {
    const { service } = memoryStoreService({ ttlSeconds: 600, maxBytes: 1 << 20 });
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let i = 0; i < 20_000; i++) deep = (deep.a = {}) as Record<string, unknown>;
    expect(await service.save({ ...record('deep'), response: { id: 'deep', output: [], metadata: top } })).toBe(false);
  });
});
