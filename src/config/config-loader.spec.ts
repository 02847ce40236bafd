import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileConfig, ConfigError, loadConfig, resolveConfigPath } from './config-loader';

const ollama = { name: 'ollama', base_url: 'http://localhost:11434/v1', prefix: 'ollama/' };
const groq = { name: 'groq', base_url: 'https://api.groq.com/openai/v1', prefix: 'groq/' };

function problemsOf(raw: unknown, env: Record<string, string | undefined> = {}): string[] {
  try {
    compileConfig(raw, 'test.json', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

describe('config validation', () => {
  it.each([
    ['a JSON array', [], '$: the config must be a JSON object'],
    ['a string', 'hello', '$: the config must be a JSON object'],
    ['null', null, '$: the config must be a JSON object'],
    ['no backends', {}, 'backends: backends is required'],
    ['backends not a list', { backends: {} }, 'backends: backends must be an array'],
    ['an empty backend list', { backends: [] }, 'backends: at least one backend is required'],
    ['a port that is a string', { listening_port: '11411', backends: [ollama] }, 'listening_port: listening_port must be an integer number'],
    ['a port out of range', { listening_port: 70000, backends: [ollama] }, 'listening_port: listening_port must not be greater than 65535'],
    ['default given as a string', { backends: [{ ...ollama, default: 'true' }] }, 'backends[0].default: default must be a boolean value'],
    ['a base_url that is not http(s)', { backends: [{ ...ollama, base_url: 'ftp://host/v1' }] }, 'backends[0].base_url: base_url must be an http:// or https:// URL'],
    ['a base_url without scheme', { backends: [{ ...ollama, base_url: 'localhost:11434' }] }, 'backends[0].base_url: base_url must be an http:// or https:// URL'],
    ['a base_url that is a number', { backends: [{ ...ollama, base_url: 42 }] }, 'backends[0].base_url: base_url must be a string'],
    ['an empty prefix', { backends: [{ ...ollama, prefix: '' }] }, 'backends[0].prefix: prefix must not be empty'],
    ['a missing prefix', { backends: [{ name: 'x', base_url: 'http://x' }] }, 'backends[0].prefix: prefix is required'],
    ['a missing name', { backends: [{ base_url: 'http://x', prefix: 'x/' }] }, 'backends[0].name: name is required'],
    ['two defaults', { backends: [{ ...ollama, default: true }, { ...groq, default: true }] }, 'backends: only one backend may be the default (or members of one pool, sharing a prefix), found backends[0], backends[1]'],
    ['a negative weight', { backends: [ollama, { ...groq, prefix: 'ollama/', weight: -2 }] }, 'backends[1].weight: must be greater than 0 and at most 1000000 (got -2)'],
    ['a weight of zero', { backends: [{ ...ollama, weight: 0 }] }, 'backends[0].weight: must be greater than 0 and at most 1000000 (got 0)'],
    ['a weight that is a string', { backends: [{ ...ollama, weight: '2' }] }, 'backends[0].weight: weight must be a number'],
    ['a weight too large to hash', { backends: [{ ...ollama, weight: 1e300 }] }, 'backends[0].weight: must be greater than 0 and at most 1000000 (got 1e+300)'],
    ['load_balancing that is not an object', { backends: [ollama], load_balancing: ['least_busy'] }, 'load_balancing: load_balancing must be an object'],
    ['a max_concurrent of zero', { backends: [{ ...ollama, max_concurrent: 0 }] }, 'backends[0].max_concurrent: max_concurrent must not be less than 1'],
    ['a fractional max_concurrent', { backends: [{ ...ollama, max_concurrent: 2.5 }] }, 'backends[0].max_concurrent: max_concurrent must be an integer number'],
    ['an unknown strategy', { load_balancing: { strategy: 'fastest' }, backends: [ollama] }, 'load_balancing.strategy: strategy must be one of least_busy, round_robin, latency, random'],
    ['session_affinity as a string', { load_balancing: { session_affinity: 'yes' }, backends: [ollama] }, 'load_balancing.session_affinity: session_affinity must be a boolean value'],
    ['duplicate names', { backends: [ollama, { ...groq, name: 'ollama' }] }, 'backends[1].name: duplicate name "ollama" (also backends[0])'],
    ['require_api_key without key_env_var', { backends: [{ ...groq, require_api_key: true }] }, 'backends[0].key_env_var: required when require_api_key is true'],
    ['reasoning_effort given as a string', { backends: [{ ...groq, reasoning_effort: 'true' }] }, 'backends[0].reasoning_effort: reasoning_effort must be a boolean value'],
    ['unsupported_params not a list', { backends: [{ ...groq, unsupported_params: 'reasoning_effort' }] }, 'backends[0].unsupported_params: unsupported_params must be an array'],
    ['role_rewrites to a non-string', { backends: [{ ...groq, role_rewrites: { developer: 1 } }] }, 'backends[0].role_rewrites.developer: must be a non-empty string'],
    ['timeout_ms of zero', { backends: [{ ...groq, timeout_ms: 0 }] }, 'backends[0].timeout_ms: timeout_ms must not be less than 1'],
    ['aliases as a list', { aliases: ['o1'], backends: [ollama] }, 'aliases: aliases must be an object'],
    ['an alias target no backend serves', { aliases: { o1: 'openai/o1' }, backends: [ollama] }, 'aliases.o1: no backend serves "openai/o1" (no prefix matches and there is no default backend)'],
    ['an alias whose target is only a prefix', { aliases: { o1: 'groq/' }, backends: [groq] }, 'aliases.o1: no backend serves "groq/" (no prefix matches and there is no default backend)'],
    ['an alias fallback no backend serves', { aliases: { o1: ['groq/r1', 'nope/x'] }, backends: [groq] }, 'aliases.o1[1]: no backend serves "nope/x" (no prefix matches and there is no default backend)'],
    ['an alias to an empty string', { aliases: { o1: '' }, backends: [groq] }, 'aliases.o1: must be a non-empty "prefix/model" string'],
    ['an invalid log level', { log_level: 'loud', backends: [ollama] }, 'log_level: log_level must be one of the following values: error, warn, info, debug'],
    ['a responses_store ttl of zero', { responses_store: { ttl_seconds: 0 }, backends: [ollama] }, 'responses_store.ttl_seconds: ttl_seconds must not be less than 1'],
    ['a responses_store size that is a string', { responses_store: { max_bytes: '64MB' }, backends: [ollama] }, 'responses_store.max_bytes: max_bytes must be an integer number'],
  ])('rejects %s with its JSON path', (_what, raw, expected) => {
    expect(problemsOf(raw)).toContain(expected);
  });

  it('passes a bridged request\'s reasoning effort only to backends whose config says they take it (off unless true)', () => {
    const { config } = compileConfig({ backends: [ollama, { ...groq, reasoning_effort: true }, { ...groq, name: 'g2', prefix: 'g2/', reasoning_effort: false }] }, 'test.json', {});
    expect(config.backends.map((b) => b.reasoningEffort)).toEqual([false, true, false]);
  });

  it('config-sample.json leaves reasoning effort off for Ollama', () => {
    const sample = JSON.parse(readFileSync(join(__dirname, '..', '..', 'config-sample.json'), 'utf8'));
    const { config } = compileConfig(sample, 'config-sample.json', { OPENAI_API_KEY: 'k', GROQ_API_KEY: 'k' });
    expect(config.backends.find((b) => b.name === 'ollama')?.reasoningEffort).toBe(false);
  });

  it('reports every problem at once, type errors and cross-field rules together', () => {
    const problems = problemsOf({
      listening_port: 'x',
      aliases: { o1: 'openai/o1' },
      backends: [
        { ...ollama, base_url: 'ftp://nope' },
        { ...groq, prefix: 'ollama/', require_api_key: true, weight: -1 },
        { name: 'c', base_url: 'http://c', prefix: '' },
      ],
      load_balancing: { strategy: 'fastest' },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'listening_port: listening_port must be an integer number',
        'backends[0].base_url: base_url must be an http:// or https:// URL',
        'backends[2].prefix: prefix must not be empty',
        'backends[1].weight: must be greater than 0 and at most 1000000 (got -1)',
        'load_balancing.strategy: strategy must be one of least_busy, round_robin, latency, random',
        'backends[1].key_env_var: required when require_api_key is true',
        'aliases.o1: no backend serves "openai/o1" (no prefix matches and there is no default backend)',
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it.each([
    ['a host name', 'lb.internal', /trust_proxy: "lb.internal" is not accepted \(invalid IP address: lb.internal\).*Host names are not resolved/],
    ['"true" as a string', 'true', /trust_proxy: "true" is a string; write the JSON boolean true without quotes/],
    ['a bad subnet', '10.0.0.0/33', /trust_proxy: "10.0.0.0\/33" is not accepted \(invalid range/],
    ['an empty string', ' ', /trust_proxy: must be/],
    ['a negative hop count', -1, /trust_proxy: must be/],
  ])('rejects trust_proxy as %s the way Express would', (_what, value, message) => {
    expect(problemsOf({ trust_proxy: value, backends: [ollama] }).some((p) => message.test(p))).toBe(true);
  });

  it.each([true, false, 2, 'loopback', 'loopback, 10.0.0.0/8', '::1', 'uniquelocal,linklocal'])('accepts trust_proxy %j', (value) => {
    expect(compileConfig({ trust_proxy: value, backends: [ollama] }, 'test.json', {}).config.trustProxy).toBe(value);
  });

  it('accepts an alias to a bare model when a default backend exists', () => {
    const { config } = compileConfig({ aliases: { fast: 'llama3.2' }, backends: [{ ...ollama, default: true }] }, 't', {});
    expect(config.aliases.get('fast')).toEqual(['llama3.2']);
  });

  it('warns about unknown fields at every level and ignores them', () => {
    const { config, warnings } = compileConfig(
      { colour: 'blue', backend_defaults: { retires: 2 }, backends: [{ ...ollama, defualt: true }] },
      't',
      {},
    );
    expect(warnings).toEqual([
      'colour: unknown field, ignored',
      'backend_defaults.retires: unknown field, ignored',
      'backends[0].defualt: unknown field, ignored',
    ]);
    expect(config.defaultBackend).toBeUndefined();
  });

  it('warns naming the variable, never its value, when a required backend key is unset', () => {
    const raw = { backends: [{ ...groq, require_api_key: true, key_env_var: 'GROQ_API_KEY' }] };
    const unset = compileConfig(raw, 't', { OTHER: 'gsk_secret_value' });
    expect(unset.warnings).toHaveLength(1);
    expect(unset.warnings[0]).toContain('GROQ_API_KEY');
    expect(unset.warnings[0]).toContain('groq');
    expect(unset.config.backends[0].missingKeyEnv).toBe('GROQ_API_KEY');

    const set = compileConfig(raw, 't', { GROQ_API_KEY: 'gsk_secret_value' });
    expect(set.warnings).toEqual([]);
    expect(JSON.stringify(set.warnings)).not.toContain('gsk_secret_value');
    expect(set.config.backends[0].missingKeyEnv).toBeUndefined();
    expect(set.config.backends[0].headers.authorization).toBe('Bearer gsk_secret_value');
  });

  it('treats an empty key variable as unset', () => {
    const { config, warnings } = compileConfig(
      { backends: [{ ...groq, require_api_key: true, key_env_var: 'GROQ_API_KEY' }] },
      't',
      { GROQ_API_KEY: '' },
    );
    expect(config.backends[0].missingKeyEnv).toBe('GROQ_API_KEY');
    expect(config.backends[0].headers.authorization).toBeUndefined();
    expect(warnings[0]).toContain('GROQ_API_KEY');
  });

  it('sends no authorization header to a backend without a key', () => {
    const { config } = compileConfig({ backends: [ollama] }, 't', { OPENAI_API_KEY: 'sk-x' });
    expect(config.backends[0].headers.authorization).toBeUndefined();
    expect(config.backends[0].hasApiKey).toBe(false);
  });

  it('fills in the documented defaults', () => {
    const { config } = compileConfig({ backends: [ollama] }, 't', {});
    expect(config).toMatchObject({ port: 11411, host: '0.0.0.0', apiKeyEnv: 'LLMROUTER_API_KEY', maxRequestBytes: 32 * 1024 * 1024 });
    expect(config.backends[0].options.timeout_ms).toBe(600_000);
    expect(config.backends[0].isDefault).toBe(false);
  });

  it('keeps stored Responses for a day and 64 MiB unless responses_store says otherwise', () => {
    expect(compileConfig({ backends: [ollama] }, 't', {}).config.responsesStore).toEqual({ ttlSeconds: 86_400, maxBytes: 64 * 1024 * 1024 });
    expect(compileConfig({ backends: [ollama], responses_store: { ttl_seconds: 60 } }, 't', {}).config.responsesStore).toEqual({ ttlSeconds: 60, maxBytes: 64 * 1024 * 1024 });
  });

  it('lets a backend override backend_defaults, which override the built-in defaults', () => {
    const { config } = compileConfig(
      { backend_defaults: { timeout_ms: 5000, retries: 3 }, backends: [{ ...ollama, retries: 0 }, groq] },
      't',
      {},
    );
    expect(config.backends[0].options).toMatchObject({ timeout_ms: 5000, retries: 0 });
    expect(config.backends[1].options).toMatchObject({ timeout_ms: 5000, retries: 3 });
  });

  it('orders backends longest prefix first and strips a trailing slash from base_url', () => {
    const { config } = compileConfig(
      { backends: [{ ...ollama, base_url: 'http://h/v1/' }, { ...groq, name: 'g2', prefix: 'ollama/big/' }] },
      't',
      {},
    );
    expect(config.backendsByPrefix.map((b) => b.prefix)).toEqual(['ollama/big/', 'ollama/']);
    expect(config.backends[0].baseUrl).toBe('http://h/v1');
  });
});

describe('loading a config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmrouter-config-'));

  it('reports a file that is not JSON', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"backends": [');
    expect(() => loadConfig(path, {})).toThrow(ConfigError);
    try {
      loadConfig(path, {});
    } catch (err) {
      expect((err as ConfigError).problems[0]).toMatch(/^not valid JSON: /);
      expect((err as ConfigError).message).toContain(path);
    }
  });

  it('reports a file that cannot be read', () => {
    expect(() => loadConfig(join(dir, 'missing.json'), {})).toThrow(/cannot read file: ENOENT/);
  });

  it('uses the embedded default when there is no file', () => {
    const { config } = loadConfig(undefined, {});
    expect(config.source).toBe('embedded default');
    expect(config.defaultBackend?.prefix).toBe('ollama/');
  });

  it.each([
    ['--config wins over LLMROUTER_CONFIG', 'cli.json', { LLMROUTER_CONFIG: 'env.json' }, 'cli.json'],
    ['LLMROUTER_CONFIG when there is no --config', undefined, { LLMROUTER_CONFIG: 'env.json' }, 'env.json'],
  ])('resolves the config path: %s', (_what, cli, env, expected) => {
    expect(resolveConfigPath(cli, env, dir)).toBe(join(dir, expected));
  });

  it('falls back to ./config.json only when it exists', () => {
    const empty = mkdtempSync(join(tmpdir(), 'llmrouter-noconfig-'));
    expect(resolveConfigPath(undefined, {}, empty)).toBeUndefined();
    writeFileSync(join(empty, 'config.json'), '{}');
    expect(resolveConfigPath(undefined, {}, empty)).toBe(join(empty, 'config.json'));
  });
});
