import { compileConfig, ConfigError } from '../config/config-loader';

// The team fields of the config file: validated at load with their JSON paths.

const backends = [{ name: 'ollama', base_url: 'http://localhost:11434/v1', prefix: 'ollama/', default: true }];
const load = (extra: Record<string, unknown>) => compileConfig({ backends, ...extra }, 't', {}).config;
const problems = (extra: Record<string, unknown>) => {
  try {
    load(extra);
  } catch (err) {
    return (err as ConfigError).problems;
  }
  return [];
};
const hash = 'a'.repeat(64);

describe('team config fields', () => {
  it('defaults to 30 failed authentications per minute and no trusted proxy', () => {
    expect(load({})).toMatchObject({ authFailuresPerMinute: 30, trustProxy: false, apiKeys: [] });
  });

  it.each([[true], [1], ['loopback, 10.0.0.0/8']])('accepts trust_proxy %j', (trust_proxy) => {
    expect(load({ trust_proxy }).trustProxy).toBe(trust_proxy);
  });

  it.each([
    [{ trust_proxy: -1 }, 'trust_proxy'],
    [{ trust_proxy: '' }, 'trust_proxy'],
    [{ trust_proxy: {} }, 'trust_proxy'],
    [{ auth_failures_per_minute: -1 }, 'auth_failures_per_minute'],
    [{ api_keys: [{ name: 'default', key_sha256: hash }] }, 'api_keys[0].name'],
    [{ api_keys: [{ name: 'a', key_sha256: hash }, { name: 'a', key_env: 'A' }] }, 'api_keys[1].name'],
    [{ api_keys: [{ name: 'a', key_sha256: hash, key_env: 'A' }] }, 'api_keys[0]'],
    [{ api_keys: [{ name: 'a', key_sha256: 'A'.repeat(64) }] }, 'api_keys[0].key_sha256'],
    [{ api_keys: [{ name: 'a', key_sha256: hash, rate_limit: { requests_per_minute: 0 } }] }, 'api_keys[0].rate_limit.requests_per_minute'],
    [{ redis_url: 'http://localhost:6379' }, 'redis_url'],
  ])('rejects %j at %s', (extra, path) => {
    expect(problems(extra).some((p) => p.startsWith(`${path}:`))).toBe(true);
  });

  it('turns the failed-authentication limit off with 0', () => {
    expect(load({ auth_failures_per_minute: 0 }).authFailuresPerMinute).toBe(0);
  });
});
