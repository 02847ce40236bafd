import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import type { ValidationError } from 'class-validator';
import { validateSync } from './config-validators';
import {
  BACKEND_OPTION_DEFAULTS,
  BackendConfig,
  DEFAULT_ENDPOINTS,
  KNOWN_API_KEY_KEYS,
  KNOWN_BACKEND_KEYS,
  KNOWN_BACKEND_OPTION_KEYS,
  KNOWN_LOAD_BALANCING_KEYS,
  KNOWN_TOP_LEVEL_KEYS,
  KNOWN_RESPONSES_STORE_KEYS,
  RESPONSES_STORE_DEFAULTS,
  RouterConfigFile,
} from './router-config';
import { buildDefaultConfig } from './default-config';
import { trustProxyProblem } from './trust-proxy';
import { CompiledBackend, RouterConfig } from './compiled-config';
import { backendsByPrefix, compilePools, poolProblems } from './compile-pools';

/** Every problem found in a config file, each with its JSON path. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface LoadedConfig {
  config: RouterConfig;
  warnings: string[];
}

export type Env = Record<string, string | undefined>;

/** `--config`, else LLMROUTER_CONFIG, else ./config.json; undefined means "use the embedded default". */
export function resolveConfigPath(cliPath: string | undefined, env: Env, cwd = process.cwd()): string | undefined {
  const explicit = cliPath ?? env.LLMROUTER_CONFIG;
  if (explicit) return resolve(cwd, explicit);
  const local = resolve(cwd, 'config.json');
  return existsSync(local) ? local : undefined;
}

export function loadConfig(path: string | undefined, env: Env): LoadedConfig {
  if (path === undefined) return compileConfig(buildDefaultConfig(env), 'embedded default', env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(path, [`not valid JSON: ${(err as Error).message}`]);
  }
  return compileConfig(raw, path, env);
}

/** Validates a parsed config object and compiles it into the runtime form. Pure apart from reading `env`. */
export function compileConfig(raw: unknown, source: string, env: Env): LoadedConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(source, ['$: the config must be a JSON object']);
  }
  const input = raw as Record<string, unknown>;
  const file = plainToInstance(RouterConfigFile, input);
  const problems = validateSync(file, { forbidUnknownValues: false }).flatMap((e) => flattenErrors(e, ''));
  const warnings = unknownFieldWarnings(input);
  // Cross-field rules run even when some fields have the wrong type, so one run lists every problem.
  problems.push(...crossFieldProblems(file));
  if (problems.length > 0) throw new ConfigError(source, problems);

  const backendDefaults = { ...BACKEND_OPTION_DEFAULTS, ...definedOnly(file.backend_defaults ?? {}) };
  const backends = file.backends.map((b) => compileBackend(b, backendDefaults, env));
  const pools = compilePools(backends, file.load_balancing);
  for (const b of backends) {
    if (b.missingKeyEnv) {
      warnings.push(
        `backend "${b.name}" requires an API key but ${b.missingKeyEnv} is not set: its requests will get 503 until it is`,
      );
    }
  }
  const aliases = new Map<string, string[]>();
  for (const [name, target] of Object.entries(file.aliases ?? {})) {
    aliases.set(name, Array.isArray(target) ? target : [target]);
  }
  const workers = file.workers === 'auto' ? 'auto' : (file.workers ?? 1);
  const config: RouterConfig = {
    source,
    port: file.listening_port ?? 11411,
    host: file.host ?? '0.0.0.0',
    apiKeyEnv: file.llmrouter_api_key_env ?? 'LLMROUTER_API_KEY',
    maxRequestBytes: file.max_request_bytes ?? 32 * 1024 * 1024,
    workers,
    logLevel: file.log_level,
    metricsApiKeyEnv: file.metrics_api_key_env,
    adminApiKeyEnv: file.admin_api_key_env,
    shutdownGraceMs: file.shutdown_grace_ms ?? 30_000,
    redisUrl: file.redis_url,
    apiKeys: file.api_keys ?? [],
    authFailuresPerMinute: file.auth_failures_per_minute ?? 30,
    trustProxy: file.trust_proxy ?? false,
    responsesStore: {
      ttlSeconds: file.responses_store?.ttl_seconds ?? RESPONSES_STORE_DEFAULTS.ttl_seconds,
      maxBytes: file.responses_store?.max_bytes ?? RESPONSES_STORE_DEFAULTS.max_bytes,
    },
    aliases,
    backends,
    backendsByPrefix: backendsByPrefix(backends),
    pools,
    defaultBackend: backends.find((b) => b.isDefault),
  };
  return { config, warnings };
}

function compileBackend(b: BackendConfig, defaults: typeof BACKEND_OPTION_DEFAULTS, env: Env): CompiledBackend {
  const apiKey = b.key_env_var ? env[b.key_env_var] || undefined : undefined;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'accept-encoding': 'identity',
  };
  const messagesHeaders: Record<string, string> = { ...headers };
  const geminiHeaders: Record<string, string> = { ...headers };
  if (apiKey) {
    headers.authorization = `Bearer ${apiKey}`;
    messagesHeaders['x-api-key'] = apiKey;
    geminiHeaders['x-goog-api-key'] = apiKey;
  }
  const roleRewrites = b.role_rewrites && Object.keys(b.role_rewrites).length > 0 ? { ...b.role_rewrites } : undefined;
  return {
    name: b.name,
    prefix: b.prefix,
    baseUrl: b.base_url.replace(/\/+$/, ''),
    isDefault: b.default === true,
    hasApiKey: apiKey !== undefined,
    missingKeyEnv: b.require_api_key && !apiKey ? b.key_env_var : undefined,
    headers,
    messagesHeaders,
    geminiHeaders,
    roleRewrites,
    unsupportedParams: b.unsupported_params ?? [],
    unsupportedMessageParams: b.unsupported_message_params ?? [],
    endpoints: new Set(b.endpoints ?? DEFAULT_ENDPOINTS),
    reasoningEffort: b.reasoning_effort === true,
    options: { ...defaults, ...definedOnly(pickOptions(b)) },
    weight: b.weight ?? 1,
    maxConcurrent: b.max_concurrent ?? 0,
  };
}

function pickOptions(b: BackendConfig): Partial<typeof BACKEND_OPTION_DEFAULTS> {
  const out: Record<string, unknown> = {};
  for (const k of KNOWN_BACKEND_OPTION_KEYS) out[k] = (b as unknown as Record<string, unknown>)[k];
  return out as Partial<typeof BACKEND_OPTION_DEFAULTS>;
}

function definedOnly<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const TYPE_RULES = ['isArray', 'isObject', 'nestedValidation', 'isString', 'isInt', 'isNumber', 'isBoolean'];

function flattenErrors(error: ValidationError, parent: string): string[] {
  const path = /^\d+$/.test(error.property)
    ? `${parent}[${error.property}]`
    : parent
      ? `${parent}.${error.property}`
      : error.property;
  const constraints = error.constraints ?? {};
  // A value of the wrong type gets one message saying so, not also every range or format rule.
  const typeRule = TYPE_RULES.find((rule) => constraints[rule] !== undefined);
  const messages =
    error.value === undefined && Object.keys(constraints).length > 0
      ? [`${error.property} is required`]
      : typeRule
        ? [constraints[typeRule]]
        : Object.values(constraints);
  const own = messages.map((msg) => `${path}: ${msg}`);
  // A list given as something else (e.g. "backends": {}) is one problem, not one per missing item field.
  if (constraints.isArray) return own;
  return [...own, ...(error.children ?? []).flatMap((c) => flattenErrors(c, path))];
}

function crossFieldProblems(file: RouterConfigFile): string[] {
  const problems: string[] = [];
  // Wrong types are already reported by class-validator; here only well-typed values are compared.
  const backends: Array<Partial<BackendConfig>> = Array.isArray(file.backends)
    ? file.backends.map((b) => (typeof b === 'object' && b !== null ? b : {}))
    : [];
  if (Array.isArray(file.backends) && backends.length === 0) problems.push('backends: at least one backend is required');

  const defaults = backends.flatMap((b, i) => (b.default === true ? [i] : []));
  // Backends sharing a prefix form a pool (compile-pools.ts): a duplicate prefix is no longer an error.
  problems.push(...poolProblems(backends));
  const seenPrefix = new Set<string>();
  const seenName = new Map<string, number>();
  backends.forEach((b, i) => {
    if (typeof b.prefix === 'string' && b.prefix !== '') seenPrefix.add(b.prefix);
    if (typeof b.name === 'string' && b.name !== '') {
      const prevName = seenName.get(b.name);
      if (prevName !== undefined) problems.push(`backends[${i}].name: duplicate name "${b.name}" (also backends[${prevName}])`);
      else seenName.set(b.name, i);
    }
    if (b.require_api_key === true && !b.key_env_var) {
      problems.push(`backends[${i}].key_env_var: required when require_api_key is true`);
    }
    if (typeof b.role_rewrites === 'object' && b.role_rewrites !== null) {
      for (const [from, to] of Object.entries(b.role_rewrites)) {
        if (typeof to !== 'string' || to.length === 0) {
          problems.push(`backends[${i}].role_rewrites.${from}: must be a non-empty string`);
        }
      }
    }
  });

  const hasDefault = defaults.length > 0;
  const prefixes = [...seenPrefix];
  const aliases = typeof file.aliases === 'object' && file.aliases !== null && !Array.isArray(file.aliases) ? file.aliases : {};
  for (const [name, target] of Object.entries(aliases)) {
    const targets: unknown[] = Array.isArray(target) ? target : [target];
    if (targets.length === 0) problems.push(`aliases.${name}: must name at least one target`);
    targets.forEach((t, i) => {
      const path = Array.isArray(target) ? `aliases.${name}[${i}]` : `aliases.${name}`;
      if (typeof t !== 'string' || t.length === 0) {
        problems.push(`${path}: must be a non-empty "prefix/model" string`);
      } else if (!hasDefault && !prefixes.some((p) => t.startsWith(p) && t.length > p.length)) {
        problems.push(`${path}: no backend serves "${t}" (no prefix matches and there is no default backend)`);
      }
    });
  }
  if (file.workers !== undefined && file.workers !== 'auto' && !(Number.isInteger(file.workers) && file.workers >= 1)) {
    problems.push('workers: must be a whole number of at least 1, or "auto"');
  }
  const apiKeys = Array.isArray(file.api_keys) ? file.api_keys : [];
  const keyNames = new Set<string>();
  apiKeys.forEach((k, i) => {
    if (typeof k !== 'object' || k === null) return;
    if (!k.key_sha256 === !k.key_env) problems.push(`api_keys[${i}]: give exactly one of key_sha256 or key_env`);
    if (typeof k.name === 'string' && keyNames.has(k.name)) problems.push(`api_keys[${i}].name: duplicate key name "${k.name}"`);
    if (k.name === 'default') problems.push(`api_keys[${i}].name: "default" is the router key's name; choose another`);
    keyNames.add(k.name);
  });
  const trustProxy = trustProxyProblem(file.trust_proxy);
  if (trustProxy) problems.push(trustProxy);
  return problems;
}

function unknownFieldWarnings(input: Record<string, unknown>): string[] {
  const warnings: string[] = [];
  const check = (obj: unknown, known: string[], path: string) => {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return;
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) warnings.push(`${path ? `${path}.` : ''}${key}: unknown field, ignored`);
    }
  };
  check(input, KNOWN_TOP_LEVEL_KEYS, '');
  check(input.backend_defaults, KNOWN_BACKEND_OPTION_KEYS, 'backend_defaults');
  check(input.responses_store, KNOWN_RESPONSES_STORE_KEYS, 'responses_store');
  check(input.load_balancing, KNOWN_LOAD_BALANCING_KEYS, 'load_balancing');
  if (Array.isArray(input.backends)) input.backends.forEach((b, i) => check(b, KNOWN_BACKEND_KEYS, `backends[${i}]`));
  if (Array.isArray(input.api_keys)) input.api_keys.forEach((k, i) => check(k, KNOWN_API_KEY_KEYS, `api_keys[${i}]`));
  return warnings;
}
