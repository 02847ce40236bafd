import type { Redis } from 'ioredis';
import type { ResponseStore, SaveOutcome, StoreLimits } from './response-store';

// Stored responses in Redis, shared by every replica. One string key per response (its text, with the
// ttl), and one hash per owner for the item index: item id -> the ids of the owner's responses holding it,
// newest last. 100,000 input items make 100,000 hash fields in one key, not 100,000 keys. Both names
// carry the owner, so another key can neither read a response nor touch anyone's index.

const RECORD_PREFIX = 'llmrouter:response:';
const INDEX_PREFIX = 'llmrouter:response-items:';
/** Responses remembered per item id: the newest ones win; older holders are only a fallback. */
const HOLDERS_PER_ITEM = 16;

// Atomic: the record and its index entries are written together. KEYS[1] record, KEYS[2] owner's index;
// ARGV[1] text, ARGV[2] ttl seconds, ARGV[3] (encoded) response id, ARGV[4..] item ids.
const SAVE_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
for i = 4, #ARGV do
  local held = redis.call('HGET', KEYS[2], ARGV[i])
  local ids = {}
  if held then
    for rid in string.gmatch(held, '%S+') do
      if rid ~= ARGV[3] then table.insert(ids, rid) end
    end
  end
  table.insert(ids, ARGV[3])
  while #ids > ${HOLDERS_PER_ITEM} do table.remove(ids, 1) end
  redis.call('HSET', KEYS[2], ARGV[i], table.concat(ids, ' '))
end
local ttl = tonumber(ARGV[2])
if redis.call('TTL', KEYS[2]) < ttl then redis.call('EXPIRE', KEYS[2], ttl) end
return 1
`;

export class RedisResponseStore implements ResponseStore {
  constructor(private readonly client: () => Redis | undefined) {}

  async save(owner: string, id: string, text: string, itemIds: string[], limits: StoreLimits): Promise<SaveOutcome> {
    if (Buffer.byteLength(text) > limits.maxBytes) return 'too_large';
    const eid = encodeURIComponent(id);
    await this.redis().eval(SAVE_SCRIPT, 2, recordKey(owner, eid), indexKey(owner), text, String(limits.ttlSeconds), eid, ...itemIds);
    return 'stored';
  }

  async get(owner: string, id: string): Promise<string | undefined> {
    return (await this.redis().get(recordKey(owner, encodeURIComponent(id)))) ?? undefined;
  }

  async itemHolder(owner: string, itemId: string): Promise<string | undefined> {
    const held = await this.redis().hget(indexKey(owner), itemId);
    if (!held) return undefined;
    const ids = held.split(' ').reverse();
    const texts = await this.redis().mget(ids.map((eid) => recordKey(owner, eid)));
    return texts.find((t): t is string => typeof t === 'string');
  }

  async delete(owner: string, id: string): Promise<boolean> {
    return (await this.redis().del(recordKey(owner, encodeURIComponent(id)))) > 0;
  }

  private redis(): Redis {
    const client = this.client();
    if (!client) throw new Error('Redis is not connected');
    return client;
  }
}

function recordKey(owner: string, encodedId: string): string {
  return `${RECORD_PREFIX}${encodeURIComponent(owner)}:${encodedId}`;
}

function indexKey(owner: string): string {
  return INDEX_PREFIX + encodeURIComponent(owner);
}
