import { Redis } from 'ioredis';
import { UsageOutbox } from '../src/team/usage-outbox';
import { startRedis } from './team-processes';

// The usage outbox against a real redis-server: increments reach Redis once, also when a batch's reply
// is lost and the batch is sent again, and increments kept during an outage arrive when Redis is back.

jest.setTimeout(30_000);

describe('UsageOutbox with a real Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let client: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
  });
  afterAll(async () => {
    await client?.quit();
    await redis?.proc.stop();
  });

  const later = Date.now() + 60_000;

  it('sends queued increments merged, in one batch', async () => {
    const outbox = new UsageOutbox(() => undefined);
    outbox.add('t:merged', '["alice","m"]', 1, later);
    outbox.add('t:merged', '["alice","m"]', 2, later);
    outbox.add('t:merged', '["bob","m"]', 5, later);
    await outbox.flush(client);
    expect(await client.hgetall('t:merged')).toEqual({ '["alice","m"]': '3', '["bob","m"]': '5' });
    expect(outbox.size).toBe(0);
    expect(await client.pttl('t:merged')).toBeGreaterThan(50_000);
  });

  it('counts a batch once when its reply was lost and it is sent again', async () => {
    let loseReply = true;
    // Redis runs the script, then the connection "drops" before the reply reaches the router.
    const flaky = new Proxy(client, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'llmrouterApplyOnce' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          const result = (await (value as (...a: unknown[]) => Promise<number>).apply(target, args)) as number;
          if (loseReply) throw new Error('Connection is closed.');
          return result;
        };
      },
    });
    const retried: string[] = [];
    const outbox = new UsageOutbox(() => retried.push('retry'));
    outbox.add('t:once', 'f', 7, later);
    await outbox.flush(flaky);
    expect(await client.hget('t:once', 'f')).toBe('7');
    expect(outbox.size).toBe(1); // kept: the router cannot know Redis has it

    // Meanwhile another request counted: it goes in the next batch, not into the one being resent.
    outbox.add('t:once', 'f', 1, later);
    loseReply = false;
    await outbox.flush(flaky);
    expect(await client.hget('t:once', 'f')).toBe('8');
    expect(outbox.size).toBe(0);
    outbox.stop();
  });

  it('keeps what Redis could not take and sends it when Redis answers again', async () => {
    // As ioredis answers while disconnected (enableOfflineQueue: false): every command fails at once.
    const down = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'llmrouterApplyOnce') return () => Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    let retries = 0;
    const outbox = new UsageOutbox(() => retries++);
    outbox.add('t:outage', 'f', 4, later);
    await outbox.flush(down);
    outbox.add('t:outage', 'f', 6, later);
    await outbox.flush(down);
    expect(outbox.size).toBe(2);
    expect(await client.exists('t:outage')).toBe(0);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(retries).toBe(1); // one retry timer, however many failed sends
    await outbox.flush(client);
    expect(await client.hget('t:outage', 'f')).toBe('10');
    outbox.stop();
  });

  it('drops increments of windows Redis no longer keeps', async () => {
    const outbox = new UsageOutbox(() => undefined);
    outbox.add('t:stale', 'f', 3, Date.now() - 1);
    await outbox.flush(client);
    expect(await client.exists('t:stale')).toBe(0);
    expect(outbox.size).toBe(0);
  });

  it('stops queueing new counters past its bound and says so once', async () => {
    let overflows = 0;
    const outbox = new UsageOutbox(() => undefined, () => overflows++);
    for (let i = 0; i < 50_010; i++) outbox.add('t:bound', `f${i}`, 1, later);
    expect(outbox.size).toBe(50_000);
    expect(overflows).toBe(1);
    outbox.add('t:bound', 'f1', 1, later); // an existing counter still grows
    expect(outbox.size).toBe(50_000);
  });
});
