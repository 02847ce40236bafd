import { generateRouterKey } from '../boot';
import { sha256 } from '../auth/client-key.service';

/** `keys create NAME`: a new client key, shown once, and the config entry that stores only its hash. */
export function createKeyCommand(name: string): string {
  const key = generateRouterKey();
  const entry = { name, key_sha256: sha256(key).toString('hex'), allowed_models: ['*'] };
  return [
    `New key for "${name}" (shown once; the router stores only its SHA-256):`,
    '',
    `  ${key}`,
    '',
    'Add this entry to "api_keys" in config.json:',
    '',
    JSON.stringify(entry, null, 2),
    '',
  ].join('\n');
}
