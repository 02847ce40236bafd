import { compileConfig } from '../config/config-loader';
import type { RouterConfig } from '../config/compiled-config';
import type { RouterConfigService } from '../config/router-config.service';
import { ClientKeyService, sha256 } from './client-key.service';

const backends = [{ name: 'ollama', base_url: 'http://localhost:11434/v1', prefix: 'ollama/', default: true }];

function serviceFor(raw: Record<string, unknown>, env: Record<string, string> = {}) {
  let listener: ((config: RouterConfig) => void) | undefined;
  const fake = {
    current: compileConfig({ backends, ...raw }, 't', env).config,
    routerKey: 'rsk_router',
    boot: { env },
    onChange: (l: (config: RouterConfig) => void) => (listener = l),
  };
  const service = new ClientKeyService(fake as unknown as RouterConfigService);
  return { service, reload: (next: Record<string, unknown>) => listener?.(compileConfig({ backends, ...next }, 't', env).config) };
}

describe('ClientKeyService', () => {
  const { service } = serviceFor(
    {
      api_keys: [
        { name: 'alice', key_sha256: sha256('rsk_alice').toString('hex'), allowed_models: ['ollama/*'], rate_limit: { requests_per_minute: 5 } },
        { name: 'bob', key_env: 'BOB_KEY' },
        { name: 'carol', key_env: 'CAROL_KEY' },
      ],
    },
    { BOB_KEY: 'rsk_bob' },
  );

  it.each([
    ['rsk_router', 'default'],
    ['rsk_alice', 'alice'],
    ['rsk_bob', 'bob'],
    ['rsk_Router', undefined],
    ['rsk_router ', undefined],
    ['rsk_route', undefined],
    ['', undefined],
  ])('finds %j as %j', (presented, name) => {
    expect(service.find(presented)?.name).toBe(name);
  });

  it('skips entries whose key variable is unset', () => {
    expect(['default', 'alice', 'bob', 'carol'].map((name) => service.byName(name)?.name)).toEqual(['default', 'alice', 'bob', undefined]);
  });

  it('carries the key’s model allow-list and rate limit', () => {
    expect(service.find('rsk_alice')).toMatchObject({ name: 'alice', allowedModels: ['ollama/*'], requestsPerMinute: 5 });
  });

  it('follows a config reload', () => {
    const { service: s, reload } = serviceFor({ api_keys: [{ name: 'alice', key_sha256: sha256('rsk_alice').toString('hex') }] });
    expect(s.find('rsk_alice')?.name).toBe('alice');
    reload({});
    expect(s.find('rsk_alice')).toBeUndefined();
    expect(s.find('rsk_router')?.name).toBe('default');
  });
});
