import { ApiKeyConfig, BackendOptions, Endpoint } from './router-config';

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
  options: Readonly<Required<BackendOptions>>;
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
  /** Longest prefix first, so the first match is the longest one. */
  backendsByPrefix: readonly CompiledBackend[];
  defaultBackend?: CompiledBackend;
}

/** "ollama/ -> ollama (default), groq/ -> groq": for the start-up and reload log lines. */
export function describeBackends(config: RouterConfig): string {
  return config.backends.map((b) => `${b.prefix} -> ${b.name}${b.isDefault ? ' (default)' : ''}`).join(', ');
}
