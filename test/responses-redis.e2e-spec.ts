import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { FakeUpstream } from './fake-upstream';
import { backend } from './router-harness';
import { chatRequests, scriptChat } from './responses-upstream';
import { Proc, startRedis, startRouterProcess, writeConfig } from './team-processes';

// Two router processes sharing one redis-server: a response stored through one is continued, read and
// deleted through the other, as behind a load balancer.

jest.setTimeout(90_000);

const ROUTER_KEY = 'rsk_responses_redis_router_key_0123';

describe('Responses bridge: two replicas sharing one Redis', () => {
  let up: FakeUpstream;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let routers: Array<{ proc: Proc; url: string }> = [];
  let clients: OpenAI[] = [];

  beforeAll(async () => {
    up = await FakeUpstream.start();
    redis = await startRedis();
    const config = writeConfig({ backends: [backend('ollama', up.url, { default: true })], redis_url: redis.url, responses_store: { ttl_seconds: 600, max_bytes: 2_000_000 } });
    routers = await Promise.all([startRouterProcess(config, ROUTER_KEY), startRouterProcess(config, ROUTER_KEY)]);
    clients = routers.map((r) => new OpenAI({ baseURL: `${r.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 }));
  });
  afterAll(async () => {
    await Promise.all(routers.map((r) => r.proc.stop()));
    await redis?.proc.stop();
    await up?.close();
  });

  it('continues through one replica a conversation stored through the other', async () => {
    scriptChat(up, [{ text: 'Noted: your name is Ada.' }, { text: 'You are Ada.' }]);
    const first = await clients[0].responses.create({ model: 'ollama/m', input: 'My name is Ada.' });
    const second = await clients[1].responses.create({ model: 'ollama/m', previous_response_id: first.id, input: 'Who am I?' });
    expect(second.output_text).toBe('You are Ada.');
    expect(chatRequests(up)[1].body.messages).toEqual([
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: 'Noted: your name is Ada.' },
      { role: 'user', content: 'Who am I?' },
    ]);
  });

  it('resolves an item_reference and serves GET and DELETE from either replica', async () => {
    scriptChat(up, [{ text: 'Stored on replica one.' }, { text: 'Seen on replica two.' }]);
    const stream = clients[0].responses.stream({ model: 'ollama/m', input: 'Hello' });
    const first = await stream.finalResponse();
    const messageId = first.output[0].id!;
    const second = await clients[1].responses.create({
      model: 'ollama/m',
      input: [{ role: 'user', content: 'Hello' }, { type: 'item_reference', id: messageId }, { role: 'user', content: 'Again?' }],
    });
    expect(second.output_text).toBe('Seen on replica two.');
    expect(chatRequests(up).at(-1)!.body.messages[1]).toEqual({ role: 'assistant', content: 'Stored on replica one.' });

    expect((await clients[1].responses.retrieve(first.id)).output_text).toBe('Stored on replica one.');
    await clients[1].responses.delete(first.id);
    await expect(clients[0].responses.retrieve(first.id)).rejects.toMatchObject({ status: 404 });
  });

  it('keeps one Redis key per response and one item index per key, however many items the input has', async () => {
    const redisClient = new Redis(redis.url);
    try {
      scriptChat(up, [{ text: 'Counted.' }]);
      const input = Array.from({ length: 10_000 }, (_, i) => ({ type: 'message' as const, id: `msg_in_${i}`, role: 'user' as const, content: `line ${i}` }));
      const before = new Set(await redisClient.keys('llmrouter:response*'));
      const created = await clients[0].responses.create({ model: 'ollama/m', input });
      const added = (await redisClient.keys('llmrouter:response*')).filter((k) => !before.has(k));
      expect(added.length).toBeLessThanOrEqual(2);
      expect(added.some((k) => k.endsWith(created.id))).toBe(true);
      const second = await clients[1].responses.create({ model: 'ollama/m', input: [{ type: 'item_reference', id: 'msg_in_9999' }] });
      expect(second.output_text).toBe('Counted.');
      expect(chatRequests(up).at(-1)!.body.messages[0]).toEqual({ role: 'user', content: 'line 9999' });
    } finally {
      redisClient.disconnect();
    }
  });

  it('still resolves an item_reference to an earlier response after a later one holding the item is deleted', async () => {
    scriptChat(up, [{ text: 'First.' }, { text: 'Second.' }, { text: 'Third.' }]);
    const first = await clients[0].responses.create({ model: 'ollama/m', input: 'One' });
    const itemId = first.output[0].id!;
    const second = await clients[1].responses.create({ model: 'ollama/m', previous_response_id: first.id, input: 'Two' });
    await clients[0].responses.delete(second.id);
    const third = await clients[1].responses.create({ model: 'ollama/m', input: [{ type: 'item_reference', id: itemId }, { role: 'user', content: 'Three' }] });
    expect(third.output_text).toBe('Third.');
    expect(chatRequests(up).at(-1)!.body.messages[0]).toEqual({ role: 'assistant', content: 'First.' });
  });

  it('answers a crafted id naming an index entry with a clean 404 on either replica', async () => {
    scriptChat(up, [{ text: 'Indexed.' }]);
    const first = await clients[0].responses.create({ model: 'ollama/m', input: 'Index me' });
    for (const client of clients) {
      for (const id of [`item:${first.output[0].id}`, `items:${first.id}`, `default:${first.id}`]) {
        await expect(client.responses.retrieve(id)).rejects.toMatchObject({ status: 404 });
      }
    }
  });

  it('says store: false for a response too large to keep, and keeps nothing', async () => {
    scriptChat(up, [{ text: 'Big.' }]);
    const created = await clients[0].responses.create({ model: 'ollama/m', input: 'x'.repeat(2_100_000) });
    expect((created as unknown as { store?: boolean }).store).toBe(false);
    await expect(clients[1].responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
  });
});
