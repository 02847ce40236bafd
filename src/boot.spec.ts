import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, generateRouterKey, prepareBoot, routerKeyBanner } from './boot';

describe('router key', () => {
  it('generates rsk_ keys with at least 256 bits of base64url, different every time', () => {
    const keys = new Set(Array.from({ length: 50 }, () => generateRouterKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) {
      expect(key).toMatch(/^rsk_[A-Za-z0-9_-]{43,}$/);
      expect(Buffer.from(key.slice(4), 'base64url').length).toBeGreaterThanOrEqual(32);
    }
  });

  it('prints the key and how to keep it in the banner', () => {
    const banner = routerKeyBanner('rsk_example', 'MY_KEY');
    expect(banner).toContain('rsk_example');
    expect(banner).toContain('MY_KEY=');
    expect(banner).toContain('--llmrouter-api-key');
  });
});

describe('prepareBoot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmrouter-boot-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      listening_port: 9000,
      llmrouter_api_key_env: 'TEAM_KEY',
      log_level: 'warn',
      backends: [{ name: 'ollama', base_url: 'http://localhost:11434/v1', prefix: 'ollama/', default: true }],
    }),
  );

  it.each([
    ['--llmrouter-api-key wins over the env var', { apiKey: 'from-cli' }, { TEAM_KEY: 'from-env' }, 'from-cli'],
    ['the env var named by llmrouter_api_key_env', {}, { TEAM_KEY: 'from-env', LLMROUTER_API_KEY: 'ignored' }, 'from-env'],
    ['the env var named by --llmrouter-api-key-env, over the file', { apiKeyEnv: 'CLI_KEY' }, { TEAM_KEY: 'ignored', CLI_KEY: 'from-cli-env' }, 'from-cli-env'],
  ])('takes the key from %s', (_what, options, env, expected) => {
    const boot = prepareBoot({ config: configPath, ...options }, env, false);
    expect(boot.routerKey).toBe(expected);
    expect(boot.routerKeyGenerated).toBe(false);
  });

  it('names the --llmrouter-api-key-env variable as the place to keep a generated key', () => {
    const boot = prepareBoot({ config: configPath, apiKeyEnv: 'CLI_KEY' }, {}, false);
    expect(boot.routerKeyGenerated).toBe(true);
    expect(boot.initial.config.apiKeyEnv).toBe('CLI_KEY');
  });

  it('generates a key when none is configured (an empty variable counts as none)', () => {
    const boot = prepareBoot({ config: configPath }, { TEAM_KEY: '' }, false);
    expect(boot.routerKey).toMatch(/^rsk_/);
    expect(boot.routerKeyGenerated).toBe(true);
  });

  it('lets the command line override port, host and log level from the file', () => {
    const fromFile = prepareBoot({ config: configPath }, {}, false);
    expect(fromFile.initial.config.port).toBe(9000);
    expect(fromFile.logLevel).toBe('warn');
    const overridden = prepareBoot({ config: configPath, port: 0, host: '127.0.0.1', logLevel: 'debug' }, {}, false);
    expect(overridden.initial.config).toMatchObject({ port: 0, host: '127.0.0.1' });
    expect(overridden.logLevel).toBe('debug');
  });

  it('throws ConfigError for an invalid file', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"backends": 1}');
    expect(() => prepareBoot({ config: bad }, {}, false)).toThrow(ConfigError);
  });
});
