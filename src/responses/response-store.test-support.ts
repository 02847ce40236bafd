import type { RouterConfigService } from '../config/router-config.service';
import type { RedisConnectionService } from '../team/redis-connection.service';
import type { StoreLimits } from './response-store';
import { ResponseStoreService } from './response-store.service';

/** A ResponseStoreService without Redis, with a config that `reload` swaps as the config service does. */
export function memoryStoreService(limits: StoreLimits) {
  let current = { responsesStore: limits };
  const listeners: Array<(config: typeof current) => void> = [];
  const config = {
    get current() {
      return current;
    },
    onChange: (listener: (config: typeof current) => void) => listeners.push(listener),
  } as unknown as RouterConfigService;
  const redis = { isUp: false, client: undefined } as unknown as RedisConnectionService;
  const service = new ResponseStoreService(config, redis);
  service.onModuleDestroy();
  return {
    service,
    /** Listeners see the new config first; `current` changes only after every listener took it. */
    reload(next: StoreLimits) {
      const config = { responsesStore: next };
      for (const listener of listeners) listener(config);
      current = config;
    },
  };
}
