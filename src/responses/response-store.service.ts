import { Injectable, Logger } from '@nestjs/common';
import type { JsonObject } from '../common/proxy-context';
import { RouterConfigService } from '../config/router-config.service';
import { RedisConnectionService } from '../team/redis-connection.service';
import { findItem, itemIdsOf, MemoryResponseStore, type StoredResponse } from './memory-response-store';

const PREFIX = 'llmrouter:responses:';

/**
 * Keeps bridged responses that were created with `store` (the Responses API default) so the next turn
 * can continue them (previous_response_id, item_reference) and GET/DELETE can find them. In Redis when
 * `redis_url` is set, so any replica continues any conversation; in memory otherwise, or while Redis is
 * away. A record belongs to the key name that created it: for any other key it does not exist.
 */
@Injectable()
export class ResponseStoreService {
  private readonly logger = new Logger('ResponseStore');
  private readonly memory: MemoryResponseStore;

  constructor(
    private readonly configService: RouterConfigService,
    private readonly redis: RedisConnectionService,
  ) {
    const limits = () => configService.current.responsesStore;
    this.memory = new MemoryResponseStore(limits().ttlSeconds * 1000, limits().maxBytes);
    configService.onChange(() => this.memory.setLimits(limits().ttlSeconds * 1000, limits().maxBytes));
  }

  async save(record: StoredResponse): Promise<void> {
    const text = JSON.stringify(record);
    const bytes = Buffer.byteLength(text);
    const { ttlSeconds, maxBytes } = this.configService.current.responsesStore;
    // A conversation larger than the whole budget is not kept anywhere (Redis included).
    if (bytes > maxBytes) return;
    const client = this.redis.isUp ? this.redis.client : undefined;
    if (client) {
      try {
        const multi = client.multi().set(PREFIX + (record.response.id as string), text, 'EX', ttlSeconds);
        for (const itemId of itemIdsOf(record)) multi.set(`${PREFIX}item:${itemId}`, record.response.id as string, 'EX', ttlSeconds);
        await multi.exec();
        return;
      } catch (err) {
        this.logger.warn(`could not store response in Redis (${(err as Error).message}): kept in memory`);
      }
    }
    this.memory.save(record, bytes);
  }

  /** The stored response `id` if `key` created it. */
  async get(id: string, key: string): Promise<StoredResponse | undefined> {
    const record = (await this.readRedis(id)) ?? this.memory.get(id);
    return record?.key === key ? record : undefined;
  }

  /** The stored item `itemId` (from any of `key`'s stored responses). */
  async item(itemId: string, key: string): Promise<JsonObject | undefined> {
    const owner = (await this.redisGet(`${PREFIX}item:${itemId}`)) ?? this.memory.ownerOf(itemId);
    const record = owner ? await this.get(owner, key) : undefined;
    return record ? findItem(record, itemId) : undefined;
  }

  async delete(id: string, key: string): Promise<boolean> {
    if (!(await this.get(id, key))) return false;
    const client = this.redis.isUp ? this.redis.client : undefined;
    if (client) await client.del(PREFIX + id).catch(() => undefined);
    this.memory.remove(id);
    return true;
  }

  private async readRedis(id: string): Promise<StoredResponse | undefined> {
    const text = await this.redisGet(PREFIX + id);
    return text ? (JSON.parse(text) as StoredResponse) : undefined;
  }

  private async redisGet(redisKey: string): Promise<string | undefined> {
    const client = this.redis.isUp ? this.redis.client : undefined;
    if (!client) return undefined;
    try {
      return (await client.get(redisKey)) ?? undefined;
    } catch {
      return undefined;
    }
  }
}
