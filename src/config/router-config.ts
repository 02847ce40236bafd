import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from './config-validators';

// The config file as users write it: snake_case keys, exactly the original llm-router format plus
// our additions. Validated with class-validator; cross-field rules live in config-loader.ts.

export const ENDPOINTS = ['chat/completions', 'completions', 'embeddings', 'responses', 'messages', 'gemini'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
export const DEFAULT_ENDPOINTS: Endpoint[] = ['chat/completions', 'completions', 'embeddings'];

/** Options a backend may set itself or inherit from `backend_defaults`. */
export class BackendOptions {
  @IsOptional() @IsInt() @Min(1) timeout_ms?: number;
  @IsOptional() @IsInt() @Min(1) connect_timeout_ms?: number;
  @IsOptional() @IsInt() @Min(1) stream_idle_timeout_ms?: number;
  @IsOptional() @IsInt() @Min(1) keepalive_ms?: number;
  @IsOptional() @IsInt() @Min(0) @Max(10) retries?: number;
  @IsOptional() @IsInt() @Min(0) max_retry_delay_ms?: number;
  @IsOptional() @IsInt() @Min(1) circuit_failures?: number;
  @IsOptional() @IsInt() @Min(0) circuit_cooldown_ms?: number;
  @IsOptional() @IsInt() @Min(0) @Max(100000) max_sockets?: number;
}

export class BackendConfig extends BackendOptions {
  @IsString() @IsNotEmpty() name!: string;
  @IsString() @Matches(/^https?:\/\/[^\s/]+/i, { message: 'base_url must be an http:// or https:// URL' })
  base_url!: string;
  @IsString() @IsNotEmpty({ message: 'prefix must not be empty' }) prefix!: string;
  @IsOptional() @IsBoolean() default?: boolean;
  @IsOptional() @IsBoolean() require_api_key?: boolean;
  @IsOptional() @IsString() @IsNotEmpty() key_env_var?: string;
  @IsOptional() @IsObject() role_rewrites?: Record<string, string>;
  @IsOptional() @IsArray() @IsString({ each: true }) unsupported_params?: string[];
  @IsOptional() @IsArray() @IsString({ each: true }) unsupported_message_params?: string[];
  @IsOptional() @IsArray() @IsIn(ENDPOINTS as unknown as string[], { each: true }) endpoints?: Endpoint[];
  /** The backend takes chat `reasoning_effort`: only then do the bridges turn a client's effort into it. */
  @IsOptional() @IsBoolean() reasoning_effort?: boolean;
  /** Share of its pool's traffic (backends with the same prefix form a pool); its range is checked in compile-pools. */
  @IsOptional() @IsNumber({}, { message: 'weight must be a number' }) weight?: number;
  /** Requests this backend serves at once; a pool waits for a free member at most connect_timeout_ms. */
  @IsOptional() @IsInt() @Min(1) max_concurrent?: number;
}

export const BALANCING_STRATEGIES = ['least_busy', 'round_robin', 'latency', 'random'] as const;
export type BalancingStrategy = (typeof BALANCING_STRATEGIES)[number];

/** How a pool (backends sharing a prefix) spreads requests over its members. */
export class LoadBalancingConfig {
  @IsOptional() @IsIn(BALANCING_STRATEGIES as unknown as string[], { message: `strategy must be one of ${BALANCING_STRATEGIES.join(', ')}` })
  strategy?: BalancingStrategy;
  @IsOptional() @IsBoolean() session_affinity?: boolean;
}

export class RateLimitConfig {
  @IsOptional() @IsInt() @Min(1) requests_per_minute?: number;
  @IsOptional() @IsInt() @Min(1) tokens_per_minute?: number;
}

export class ApiKeyConfig {
  @IsString() @IsNotEmpty() name!: string;
  @IsOptional() @IsString() @Matches(/^[0-9a-f]{64}$/, { message: 'key_sha256 must be 64 lowercase hex characters' })
  key_sha256?: string;
  @IsOptional() @IsString() @IsNotEmpty() key_env?: string;
  @IsOptional() @IsArray() @IsString({ each: true }) allowed_models?: string[];
  @IsOptional() @ValidateNested() @Type(() => RateLimitConfig) rate_limit?: RateLimitConfig;
}

/** How long and how much of bridged Responses the router keeps for previous_response_id / item_reference. */
export class ResponsesStoreConfig {
  @IsOptional() @IsInt() @Min(1) ttl_seconds?: number;
  @IsOptional() @IsInt() @Min(0) max_bytes?: number;
}

export class RouterConfigFile {
  @IsOptional() @IsInt() @Min(0) @Max(65535) listening_port?: number;
  @IsOptional() @IsString() @IsNotEmpty() host?: string;
  @IsOptional() @IsString() @IsNotEmpty() llmrouter_api_key_env?: string;
  @IsOptional() @IsObject() aliases?: Record<string, string | string[]>;
  @IsArray() @ValidateNested({ each: true }) @Type(() => BackendConfig) backends!: BackendConfig[];
  @IsOptional() @ValidateNested() @Type(() => BackendOptions) backend_defaults?: BackendOptions;
  @IsOptional() @IsInt() @Min(1) max_request_bytes?: number;
  @IsOptional() workers?: number | 'auto';
  @IsOptional() @IsIn(['error', 'warn', 'info', 'debug']) log_level?: string;
  @IsOptional() @IsString() @IsNotEmpty() metrics_api_key_env?: string;
  @IsOptional() @IsString() @IsNotEmpty() admin_api_key_env?: string;
  @IsOptional() @IsInt() @Min(0) shutdown_grace_ms?: number;
  @IsOptional() @IsString() @Matches(/^rediss?:\/\//, { message: 'redis_url must start with redis:// or rediss://' })
  redis_url?: string;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => ApiKeyConfig) api_keys?: ApiKeyConfig[];
  @IsOptional() @IsInt() @Min(0) auth_failures_per_minute?: number;
  @IsOptional() trust_proxy?: boolean | number | string;
  @IsOptional() @ValidateNested() @Type(() => ResponsesStoreConfig) responses_store?: ResponsesStoreConfig;
  @IsOptional() @IsObject({ message: 'load_balancing must be an object' }) @ValidateNested() @Type(() => LoadBalancingConfig)
  load_balancing?: LoadBalancingConfig;
}

export const BACKEND_OPTION_DEFAULTS: Required<BackendOptions> = {
  timeout_ms: 600_000,
  connect_timeout_ms: 10_000,
  stream_idle_timeout_ms: 300_000,
  keepalive_ms: 15_000,
  retries: 1,
  max_retry_delay_ms: 10_000,
  circuit_failures: 5,
  circuit_cooldown_ms: 30_000,
  // 0: no cap (undici's default), so a team's concurrent streams are never queued by the pool.
  max_sockets: 0,
};

export const KNOWN_TOP_LEVEL_KEYS = [
  'listening_port', 'host', 'llmrouter_api_key_env', 'aliases', 'backends', 'backend_defaults',
  'max_request_bytes', 'workers', 'log_level', 'metrics_api_key_env', 'admin_api_key_env', 'shutdown_grace_ms', 'redis_url', 'api_keys',
  'auth_failures_per_minute', 'trust_proxy', 'responses_store', 'load_balancing',
];
export const KNOWN_BACKEND_OPTION_KEYS = Object.keys(BACKEND_OPTION_DEFAULTS);
export const KNOWN_BACKEND_KEYS = [
  'name', 'base_url', 'prefix', 'default', 'require_api_key', 'key_env_var', 'role_rewrites',
  'unsupported_params', 'unsupported_message_params', 'endpoints', 'reasoning_effort', 'weight', 'max_concurrent', ...KNOWN_BACKEND_OPTION_KEYS,
];
export const KNOWN_LOAD_BALANCING_KEYS = ['strategy', 'session_affinity'];
export const KNOWN_RESPONSES_STORE_KEYS = ['ttl_seconds', 'max_bytes'];
export const RESPONSES_STORE_DEFAULTS = { ttl_seconds: 86_400, max_bytes: 64 * 1024 * 1024 };
export const KNOWN_API_KEY_KEYS = ['name', 'key_sha256', 'key_env', 'allowed_models', 'rate_limit'];
