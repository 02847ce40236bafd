import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RouterConfig } from './compiled-config';
import type { LogLevel } from '../cli';
import { ConfigError, Env, LoadedConfig, loadConfig } from './config-loader';

/** What main.ts decided before Nest started: the loaded config, the router key, the command line. */
export interface BootOptions {
  /** The config file in use, undefined for the embedded default. */
  configPath?: string;
  initial: LoadedConfig;
  routerKey: string;
  /** true when the router key was generated at startup (shown once in a banner). */
  routerKeyGenerated: boolean;
  env: Env;
  /** Command-line values that win over the file, on every (re)load. */
  overrides: ConfigOverrides;
  logLevel: LogLevel;
  /** Human-readable logs when stdout is a terminal; JSON lines otherwise. */
  prettyLogs: boolean;
}

export interface ConfigOverrides {
  port?: number;
  host?: string;
  workers?: number | 'auto';
  apiKeyEnv?: string;
}

/** Applies the command line's values over a freshly loaded config. */
export function withOverrides(loaded: LoadedConfig, overrides: ConfigOverrides): LoadedConfig {
  const config = { ...loaded.config };
  if (overrides.port !== undefined) config.port = overrides.port;
  if (overrides.host !== undefined) config.host = overrides.host;
  if (overrides.workers !== undefined) config.workers = overrides.workers;
  if (overrides.apiKeyEnv !== undefined) config.apiKeyEnv = overrides.apiKeyEnv;
  return { ...loaded, config };
}

export const BOOT_OPTIONS = 'llmrouterBoot';

/** Applies a new config to one service; throws when it cannot (the reload is then refused as a whole). */
export type ConfigListener = (config: RouterConfig) => void;

/**
 * Holds the config in force. Requests take a snapshot (`current`) when they start, so `swap` is atomic for
 * them: a reload never changes a request that is already in flight. A swap is all-or-nothing: the new config
 * is given to every listener first (they must use the config they are given: `current` is still the old
 * one), and it is put in force only when all of them took it.
 */
@Injectable()
export class RouterConfigService {
  private config: RouterConfig;
  private readonly listeners: ConfigListener[] = [];

  constructor(@Inject(ConfigService) nestConfig: ConfigService) {
    const boot = nestConfig.get<BootOptions>(BOOT_OPTIONS);
    if (!boot) throw new Error('RouterConfigModule needs boot options');
    this.boot = boot;
    this.config = boot.initial.config;
  }

  readonly boot: BootOptions;

  get current(): RouterConfig {
    return this.config;
  }

  get routerKey(): string {
    return this.boot.routerKey;
  }

  /** Loads and validates the file again; throws ConfigError (and keeps the old config) when it is invalid. */
  reload(): LoadedConfig {
    const loaded = withOverrides(loadConfig(this.boot.configPath, this.boot.env), this.boot.overrides);
    this.swap(loaded.config);
    return loaded;
  }

  /** Throws ConfigError, with the old config still in force everywhere, when a listener refuses the new one. */
  swap(config: RouterConfig): void {
    const applied: ConfigListener[] = [];
    try {
      for (const listener of this.listeners) {
        listener(config);
        applied.push(listener);
      }
    } catch (err) {
      // Those that took the new config get the old one back, which they accepted before.
      for (const listener of applied.reverse()) listener(this.config);
      throw new ConfigError(config.source, [`could not be applied: ${err instanceof Error ? err.message : String(err)}`]);
    }
    this.config = config;
  }

  onChange(listener: ConfigListener): void {
    this.listeners.push(listener);
  }
}
