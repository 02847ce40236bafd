import { hash, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { presentedKey, type KeyCarrier } from './presented-key';
import { RouterConfig } from '../config/compiled-config';
import { RouterConfigService } from '../config/router-config.service';
import type { ClientKey } from '../common/client-key';
import { allowsEveryModel, compileModelGlobs } from './model-globs';

interface StoredKey {
  digest: Buffer;
  key: ClientKey;
}

/** One-shot: about twice as fast as a Hash object for a key-sized input, and it runs on every request. */
export function sha256(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/**
 * The keys clients may present. Only SHA-256 digests are kept; a presented key is hashed once and
 * compared with every stored digest in constant time, so neither a near miss nor an unknown key is
 * faster to reject than any other.
 */
@Injectable()
export class ClientKeyService {
  private keys: StoredKey[] = [];
  /** The key each request was found to carry: the body parser and ApiKeyGuard ask, it is hashed once. */
  private readonly byRequest = new WeakMap<KeyCarrier, ClientKey | null>();

  constructor(private readonly configService: RouterConfigService) {
    this.keys = this.compile(configService.current);
    configService.onChange((config) => (this.keys = this.compile(config)));
  }

  find(presented: string): ClientKey | undefined {
    const digest = sha256(presented);
    let found: ClientKey | undefined;
    for (const stored of this.keys) {
      // No early exit: every stored key is compared on every attempt.
      if (timingSafeEqual(stored.digest, digest) && found === undefined) found = stored.key;
    }
    return found;
  }

  /** The configured key the request presents, if any. */
  forRequest(req: KeyCarrier): ClientKey | undefined {
    let key = this.byRequest.get(req);
    if (key === undefined) {
      const presented = presentedKey(req);
      key = (presented === undefined ? undefined : this.find(presented)) ?? null;
      this.byRequest.set(req, key);
    }
    return key ?? undefined;
  }

  byName(name: string | undefined): ClientKey | undefined {
    return name === undefined ? undefined : this.keys.find((k) => k.key.name === name)?.key;
  }

  private compile(config: RouterConfig): StoredKey[] {
    const env = this.configService.boot.env;
    const keys: StoredKey[] = [{ digest: sha256(this.configService.routerKey), key: { name: 'default', allowsModel: allowsEveryModel } }];
    for (const entry of config.apiKeys) {
      let digest: Buffer | undefined;
      if (entry.key_sha256) digest = Buffer.from(entry.key_sha256, 'hex');
      else if (entry.key_env && env[entry.key_env]) digest = sha256(env[entry.key_env] as string);
      if (!digest) continue;
      keys.push({
        digest,
        key: {
          name: entry.name,
          allowedModels: entry.allowed_models,
          allowsModel: compileModelGlobs(entry.allowed_models),
          requestsPerMinute: entry.rate_limit?.requests_per_minute,
          tokensPerMinute: entry.rate_limit?.tokens_per_minute,
        },
      });
    }
    return keys;
  }
}
