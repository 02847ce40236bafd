import { Redis } from 'ioredis';
import { REDIS_RECORD_OVERHEAD_BYTES, RedisResponseStore } from '../src/responses/redis-response-store';
import { Proc, startRedis } from './team-processes';

// The response store in a real redis-server, which also holds the rate limits: whatever clients store,
// it keeps to max_bytes there, index included.

jest.setTimeout(120_000);

describe('Redis response store: bounded by max_bytes', () => {
  let redis: { proc: Proc; url: string };
  let client: Redis;
  let store: RedisResponseStore;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    store = new RedisResponseStore(() => client);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.proc.stop();
  });
  beforeEach(() => client.flushall());

  const text = (i: number) => `{"response":{"id":"resp_${i}","output":[{"id":"msg_${i}"}]},"input":[]}`;

  // A million takes about 100 s here (checked by hand with N = 1_000_000); a quarter of it shows the same.
  it('stays within its budget over 250,000 responses, and still finds the newest and its items', async () => {
    const limits = { ttlSeconds: 3600, maxBytes: 2 << 20 };
    const N = 250_000;
    const BATCH = 5_000;
    for (let i = 0; i < N; i += BATCH) {
      await Promise.all(Array.from({ length: BATCH }, (_, j) => store.save(`key${(i + j) % 10}`, `resp_${i + j}`, text(i + j), [`msg_${i + j}`], limits)));
    }
    expect(Number(await client.get('llmrouter:response-bytes'))).toBeLessThanOrEqual(limits.maxBytes);
    const records = await client.zcard('llmrouter:response-budget');
    expect(records).toBeLessThan(limits.maxBytes / REDIS_RECORD_OVERHEAD_BYTES);
    // Every record has its key and nothing more: evicted records left no keys or index entries behind.
    expect(await client.dbsize()).toBe(records + 10 + 3);
    let indexed = 0;
    for (let k = 0; k < 10; k++) indexed += await client.hlen(`llmrouter:response-items:key${k}`);
    expect(indexed).toBe(records);
    expect(await store.get('key9', `resp_${N - 1}`)).toBe(text(N - 1));
    expect(await store.itemHolder('key9', `msg_${N - 1}`)).toBe(text(N - 1));
    expect(await store.get('key0', 'resp_0')).toBeUndefined();
    expect(await store.itemHolder('key0', 'msg_0')).toBeUndefined();
    const memory = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
    expect(memory).toBeLessThan(32 << 20);
  });

  it('frees the budget and the index entries of a deleted response, and of expired ones on the next save', async () => {
    const limits = { ttlSeconds: 1, maxBytes: 1 << 20 };
    await store.save('alice', 'r1', text(1), ['shared', 'own1'], limits);
    await store.save('alice', 'r2', text(2), ['shared', 'own2'], limits);
    expect(await store.delete('alice', 'r2')).toBe(true);
    expect(await store.delete('alice', 'r2')).toBe(false);
    expect(await store.itemHolder('alice', 'shared')).toBe(text(1));
    expect(await client.hkeys('llmrouter:response-items:alice')).toEqual(expect.arrayContaining(['shared', 'own1']));
    expect(await client.hlen('llmrouter:response-items:alice')).toBe(2);

    await new Promise((r) => setTimeout(r, 1_100));
    await store.save('bob', 'b1', text(3), ['x'], { ttlSeconds: 600, maxBytes: 1 << 20 });
    expect(await client.exists('llmrouter:response-items:alice')).toBe(0);
    expect(await client.zrange('llmrouter:response-budget', 0, -1)).toEqual(['bob:b1']);
    expect(Number(await client.get('llmrouter:response-bytes'))).toBe(RedisResponseStore.costOf(text(3), ['x'], 'bob:b1'));
  });

  it('refuses a response larger than the whole budget and keeps the others', async () => {
    const limits = { ttlSeconds: 60, maxBytes: 10_000 };
    await store.save('alice', 'small', text(1), [], limits);
    await expect(store.save('alice', 'big', 'x'.repeat(10_000), [], limits)).resolves.toBe('too_large');
    expect(await store.get('alice', 'small')).toBe(text(1));
    expect(await store.get('alice', 'big')).toBeUndefined();
  });
});
