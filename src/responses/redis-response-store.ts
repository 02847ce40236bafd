import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ResponseStore, SaveOutcome, StoreLimits } from './response-store';

// Stored responses in Redis, shared by every replica. One string key per response (its text, with the
// ttl), and one hash per owner for the item index: item id -> the ids of the owner's responses holding it,
// newest last. 100,000 input items make 100,000 hash fields in one key, not 100,000 keys. Both names
// carry the owner, so another key can neither read a response nor touch anyone's index.
//
// The same Redis holds the rate limits, so the store keeps to `max_bytes` there too: a sorted set of the
// records by expiry, their costs (text, keys and index entries) and a running total. A save first drops
// the expired records and then the ones closest to expiring (the oldest) until the new one fits; dropping
// a record also takes its ids out of the owner's index. All in Lua, so replicas never see half a save.
// (Scripts touch keys they derive from their arguments: fine on one Redis, not meant for Redis Cluster.)

const RECORD_PREFIX = 'llmrouter:response:';
const INDEX_PREFIX = 'llmrouter:response-items:';
const BUDGET_KEY = 'llmrouter:response-budget';
const COSTS_KEY = 'llmrouter:response-costs';
const TOTAL_KEY = 'llmrouter:response-bytes';
/** Responses remembered per item id: the newest ones win; older holders are only a fallback. */
const HOLDERS_PER_ITEM = 16;
/** Expired records dropped per save (the rest go with later saves; they count against the budget). */
const EXPIRED_PER_SAVE = 100;
/** A record's string key, its sorted-set member and its costs entry, roughly, in Redis's memory. */
export const REDIS_RECORD_OVERHEAD_BYTES = 256;
/** One item id: a hash field in the index (with its holder list) and its place in the costs entry. */
const REDIS_ITEM_OVERHEAD_BYTES = 64;

// Drops the record `member` ("<owner>:<id>", both URI-encoded): its key, its cost and its index entries.
// The costs entry is "<cost> <item id> <item id>…" (item ids are URI-encoded: no spaces).
const DROP = `
local function drop(member)
  local info = redis.call('HGET', '${COSTS_KEY}', member)
  redis.call('ZREM', '${BUDGET_KEY}', member)
  local existed = redis.call('DEL', '${RECORD_PREFIX}' .. member)
  if not info then return existed end
  redis.call('HDEL', '${COSTS_KEY}', member)
  local sep = string.find(member, ':', 1, true)
  local owner, rid = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
  local index = '${INDEX_PREFIX}' .. owner
  local first = true
  for word in string.gmatch(info, '%S+') do
    if first then
      redis.call('DECRBY', '${TOTAL_KEY}', tonumber(word))
      first = false
    else
      local item = word
      local held = redis.call('HGET', index, item)
      if held then
        local ids = {}
        for h in string.gmatch(held, '%S+') do
          if h ~= rid then table.insert(ids, h) end
        end
        if #ids == 0 then redis.call('HDEL', index, item) else redis.call('HSET', index, item, table.concat(ids, ' ')) end
      end
    end
  end
  return existed
end
`;

// KEYS: none (derived). ARGV[1] member, ARGV[2] text, ARGV[3] ttl seconds, ARGV[4] now ms, ARGV[5] max
// bytes, ARGV[6] cost, ARGV[7..] item ids (URI-encoded).
const SAVE_SCRIPT = `${DROP}
local member, text, ttl, now, max, cost = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
drop(member)
for _, old in ipairs(redis.call('ZRANGEBYSCORE', '${BUDGET_KEY}', '-inf', now, 'LIMIT', 0, ${EXPIRED_PER_SAVE})) do drop(old) end
while tonumber(redis.call('GET', '${TOTAL_KEY}') or '0') + cost > max do
  local oldest = redis.call('ZRANGE', '${BUDGET_KEY}', 0, 0)[1]
  if not oldest then break end
  drop(oldest)
end
local sep = string.find(member, ':', 1, true)
local owner, rid = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
local index = '${INDEX_PREFIX}' .. owner
redis.call('SET', '${RECORD_PREFIX}' .. member, text, 'EX', ttl)
redis.call('ZADD', '${BUDGET_KEY}', now + ttl * 1000, member)
redis.call('INCRBY', '${TOTAL_KEY}', cost)
local items = {}
for i = 7, #ARGV do
  local item = ARGV[i]
  table.insert(items, item)
  local held = redis.call('HGET', index, item)
  local ids = {}
  if held then
    for h in string.gmatch(held, '%S+') do
      if h ~= rid then table.insert(ids, h) end
    end
  end
  table.insert(ids, rid)
  while #ids > ${HOLDERS_PER_ITEM} do table.remove(ids, 1) end
  redis.call('HSET', index, item, table.concat(ids, ' '))
end
redis.call('HSET', '${COSTS_KEY}', member, cost .. ' ' .. table.concat(items, ' '))
if redis.call('TTL', index) < ttl then redis.call('EXPIRE', index, ttl) end
return 1
`;

// ARGV[1] member.
const DELETE_SCRIPT = `${DROP}
return drop(ARGV[1])
`;

export class RedisResponseStore implements ResponseStore {
  constructor(private readonly client: () => Redis | undefined) {}

  /** What a record costs against the budget in Redis. */
  static costOf(text: string, itemIds: string[], member: string): number {
    let cost = Buffer.byteLength(text) + REDIS_RECORD_OVERHEAD_BYTES + 3 * member.length;
    for (const itemId of itemIds) cost += REDIS_ITEM_OVERHEAD_BYTES + 2 * Buffer.byteLength(itemId);
    return cost;
  }

  async save(owner: string, id: string, text: string, itemIds: string[], limits: StoreLimits): Promise<SaveOutcome> {
    const member = memberOf(owner, id);
    const items = itemIds.map(encodeURIComponent);
    const cost = RedisResponseStore.costOf(text, items, member);
    if (cost > limits.maxBytes) return 'too_large';
    await run(this.redis(), SAVE_SCRIPT, [member, text, String(limits.ttlSeconds), String(Date.now()), String(limits.maxBytes), String(cost), ...items]);
    return 'stored';
  }

  async get(owner: string, id: string): Promise<string | undefined> {
    return (await this.redis().get(RECORD_PREFIX + memberOf(owner, id))) ?? undefined;
  }

  async itemHolder(owner: string, itemId: string): Promise<string | undefined> {
    const encodedOwner = encodeURIComponent(owner);
    const held = await this.redis().hget(INDEX_PREFIX + encodedOwner, encodeURIComponent(itemId));
    if (!held) return undefined;
    // The holders are stored URI-encoded, as memberOf writes them.
    const ids = held.split(' ').reverse();
    const texts = await this.redis().mget(ids.map((rid) => `${RECORD_PREFIX}${encodedOwner}:${rid}`));
    return texts.find((t): t is string => typeof t === 'string');
  }

  async delete(owner: string, id: string): Promise<boolean> {
    return (await run(this.redis(), DELETE_SCRIPT, [memberOf(owner, id)])) === 1;
  }

  private redis(): Redis {
    const client = this.client();
    if (!client) throw new Error('Redis is not connected');
    return client;
  }
}

/** "<owner>:<id>", each URI-encoded: no ':' or space inside either, so the two split back apart. */
function memberOf(owner: string, id: string): string {
  return `${encodeURIComponent(owner)}:${encodeURIComponent(id)}`;
}

const SHA = new Map<string, string>();

/** Runs a script by its digest (sent once per Redis, not with every save), loading it when Redis lacks it. */
async function run(client: Redis, script: string, args: string[]): Promise<unknown> {
  let sha = SHA.get(script);
  if (!sha) SHA.set(script, (sha = createHash('sha1').update(script).digest('hex')));
  try {
    return await client.evalsha(sha, 0, ...args);
  } catch (err) {
    if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
    return client.eval(script, 0, ...args);
  }
}
