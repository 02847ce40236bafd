import { ApiKeyConfig, BackendOptions, BalancingStrategy, Endpoint } from './router-config';

// The runtime form of the config: everything a request needs is computed once at load time
// (headers, prefix order, alias lists), so the hot path only reads.

export interface CompiledBackend {
  name: string;
  prefix: string;
  /** Without a trailing slash; never shown to clients. */
  baseUrl: string;
  isDefault: boolean;
  hasApiKey: boolean;
  /** Set when require_api_key is true and the variable is unset: the backend answers 503 without being contacted. */
  missingKeyEnv?: string;
  /** Upstream request headers built once: content type, and the backend's own key if it has one. */
  headers: Readonly<Record<string, string>>;
  /** The same for Anthropic's Messages API ("messages" in endpoints): the key goes as x-api-key. */
  messagesHeaders: Readonly<Record<string, string>>;
  /** The same for Google's Gemini API ("gemini" in endpoints): the key goes as x-goog-api-key. */
  geminiHeaders: Readonly<Record<string, string>>;
  roleRewrites?: Readonly<Record<string, string>>;
  unsupportedParams: readonly string[];
  unsupportedMessageParams: readonly string[];
  endpoints: ReadonlySet<Endpoint>;
  /** `reasoning_effort: true`: a bridged request's reasoning effort (Responses `reasoning.effort`, Anthropic `output_config.effort`) reaches it. */
  reasoningEffort: boolean;
  options: Readonly<Required<BackendOptions>>;
  /** Its share of the pool's traffic (default 1). */
  weight: number;
  /** Requests it serves at once; 0 for no cap. */
  maxConcurrent: number;
  /**
   * Set when requests to this backend are balanced: its prefix is shared (a pool of several members) or
   * it has max_concurrent (a pool of one). Unset, the request path is the plain single-backend one.
   */
  pool?: CompiledPool;
}

/** Backends sharing a prefix, compiled once per loaded config. */
export interface CompiledPool {
  prefix: string;
  /** In config order. */
  members: readonly CompiledBackend[];
  strategy: BalancingStrategy;
  sessionAffinity: boolean;
  /** Two 32-bit seeds per member (same order), from its name only: the rendezvous hash of a session key. */
  seeds: Uint32Array;
}

/** The backends a target may be served by: a pool's members, or the backend itself. */
export function membersOf(backend: CompiledBackend): readonly CompiledBackend[] {
  return backend.pool?.members ?? [backend];
}

export interface RouterConfig {
  /** Path of the file it came from, or "embedded default". */
  source: string;
  port: number;
  host: string;
  apiKeyEnv: string;
  maxRequestBytes: number;
  workers: number | 'auto';
  logLevel?: string;
  metricsApiKeyEnv?: string;
  /** Env var holding a second key that opens the whole dashboard (the router key always does). */
  adminApiKeyEnv?: string;
  shutdownGraceMs: number;
  redisUrl?: string;
  apiKeys: ApiKeyConfig[];
  /** Failed authentication attempts allowed per client address and minute; 0 turns the limit off. */
  authFailuresPerMinute: number;
  /** Express's `trust proxy`: which forwarding proxies may set the client address (X-Forwarded-For). */
  trustProxy: boolean | number | string;
  /** Bridged Responses kept for continuing them: for ttlSeconds, and at most maxBytes in memory. */
  responsesStore: { ttlSeconds: number; maxBytes: number };
  aliases: ReadonlyMap<string, readonly string[]>;
  backends: readonly CompiledBackend[];
  /** One backend per prefix (a pool's first member), longest prefix first, so the first match is the longest one. */
  backendsByPrefix: readonly CompiledBackend[];
  /** The balanced pools (see CompiledBackend.pool), for the balancer, metrics and dashboard. */
  pools: readonly CompiledPool[];
  defaultBackend?: CompiledBackend;
}

/** "ollama/ -> ollama (default), groq/ -> groq": for the start-up and reload log lines. */
export function describeBackends(config: RouterConfig): string {
  return config.backendsByPrefix
    .map((first) => {
      const members = membersOf(first).map((b) => `${b.name}${b.isDefault ? ' (default)' : ''}`).join(', ');
      return `${first.prefix} -> ${members}${first.pool && first.pool.members.length > 1 ? ` (${first.pool.strategy})` : ''}`;
    })
    .join(', ');
}
