import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { IpcClient } from '../cluster/ipc-channel';
import type { JsonObject } from '../common/proxy-context';
import { RouterConfigService } from '../config/router-config.service';
import { RedisConnectionService } from '../team/redis-connection.service';
import { IpcResponseStore } from './ipc-response-store';
import { MemoryResponseStore } from './memory-response-store';
import { RedisResponseStore } from './redis-response-store';
import { itemIdsOf, itemsById, parseRecord, recordText, type ResponseStore, type StoreLimits, type StoredResponse } from './response-store';

/**
 * Keeps bridged responses that were created with `store` (the Responses API default) so the next turn
 * can continue them (previous_response_id, item_reference) and GET/DELETE can find them. In Redis when
 * `redis_url` is set, so any replica continues any conversation; otherwise in this process, or, with
 * `workers` > 1, in the primary that every worker asks. A record belongs to the key name that created it:
 * for any other key it does not exist. While Redis is away, records go to the local store.
 */
@Injectable()
export class ResponseStoreService implements OnModuleDestroy {
  private readonly logger = new Logger('ResponseStore');
  /** Where records go without Redis: the primary's store (workers), or this process's. */
  private readonly local: ResponseStore;
  private readonly redisStore: RedisResponseStore;
  private limits: StoreLimits;
  /** Only for this process's own store: the primary sweeps the one it serves. */
  private readonly sweeper?: NodeJS.Timeout;

  constructor(configService: RouterConfigService, private readonly redis: RedisConnectionService) {
    this.limits = configService.current.responsesStore;
    const ipc = IpcClient.get();
    let memory: MemoryResponseStore | undefined;
    if (ipc) {
      this.local = new IpcResponseStore(ipc);
    } else {
      memory = new MemoryResponseStore(this.limits);
      this.local = inProcess(memory);
      this.sweeper = memory.sweepPeriodically();
    }
    // The listener's argument is the config being applied (`current` is still the old one here).
    configService.onChange((config) => {
      this.limits = config.responsesStore;
      memory?.setLimits(this.limits);
    });
    this.redisStore = new RedisResponseStore(() => (redis.isUp ? redis.client : undefined));
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Keeps `record`; false when it was not kept (larger than the store's whole budget, or not serializable). */
  async save(record: StoredResponse): Promise<boolean> {
    const id = record.response.id as string;
    let text: string;
    try {
      text = recordText(record);
    } catch (err) {
      this.logger.warn(`response ${id} not stored: ${(err as Error).message}`);
      return false;
    }
    const itemIds = itemIdsOf(record);
    if (this.redis.isUp) {
      try {
        return (await this.redisStore.save(record.key, id, text, itemIds, this.limits)) === 'stored';
      } catch (err) {
        this.logger.warn(`could not store response in Redis (${(err as Error).message}): kept locally`);
      }
    }
    return (await this.local.save(record.key, id, text, itemIds, this.limits)) === 'stored';
  }

  /** The stored response `id` if `key` created it. */
  async get(id: string, key: string): Promise<StoredResponse | undefined> {
    const text = (await this.fromRedis((s) => s.get(key, id))) ?? (await this.local.get(key, id));
    return text === undefined ? undefined : parseRecord(key, text);
  }

  /** The stored item `itemId` (from `key`'s most recent stored response holding it). */
  async item(itemId: string, key: string): Promise<JsonObject | undefined> {
    return this.itemFinder(key)(itemId);
  }

  /**
   * item() for the many references of one request: each holder's text is parsed and indexed once, however
   * many of its items are named (parsed per reference, 2,000 references into a 1 MB record took 20 s).
   */
  itemFinder(key: string): (itemId: string) => Promise<JsonObject | undefined> {
    const indexed = new Map<string, Map<string, JsonObject>>();
    return async (itemId) => {
      const text = (await this.fromRedis((s) => s.itemHolder(key, itemId))) ?? (await this.local.itemHolder(key, itemId));
      if (text === undefined) return undefined;
      let items = indexed.get(text);
      if (!items) indexed.set(text, (items = itemsById(parseRecord(key, text))));
      return items.get(itemId);
    };
  }

  async delete(id: string, key: string): Promise<boolean> {
    const inRedis = (await this.fromRedis((s) => s.delete(key, id))) ?? false;
    const inLocal = await this.local.delete(key, id);
    return inRedis || inLocal;
  }

  private async fromRedis<T>(read: (store: ResponseStore) => Promise<T>): Promise<T | undefined> {
    if (!this.redis.isUp) return undefined;
    try {
      return await read(this.redisStore);
    } catch {
      return undefined;
    }
  }
}

/** This process's memory store behind the common (async) interface; its limits follow the config (onChange). */
function inProcess(memory: MemoryResponseStore): ResponseStore {
  return {
    save: async (owner, id, text, itemIds) => memory.save(owner, id, text, itemIds),
    get: async (owner, id) => memory.get(owner, id),
    itemHolder: async (owner, itemId) => memory.itemHolder(owner, itemId),
    delete: async (owner, id) => memory.remove(owner, id),
  };
}
