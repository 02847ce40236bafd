import { randomBytes } from 'node:crypto';
import type { CliOptions } from './cli';
import { ConfigError, Env, loadConfig, resolveConfigPath } from './config/config-loader';
import { BootOptions, withOverrides } from './config/router-config.service';

// Everything decided before Nest starts: which config, which router key, which log level.

export function generateRouterKey(): string {
  return `rsk_${randomBytes(32).toString('base64url')}`;
}

/** Throws ConfigError when the config is invalid. */
export function prepareBoot(options: CliOptions, env: Env, prettyLogs: boolean): BootOptions {
  const configPath = resolveConfigPath(options.config, env);
  const overrides = { port: options.port, host: options.host, workers: options.workers, apiKeyEnv: options.apiKeyEnv };
  const initial = withOverrides(loadConfig(configPath, env), overrides);
  const configured = options.apiKey ?? env[initial.config.apiKeyEnv];
  const routerKey = configured || generateRouterKey();
  const logLevel = options.logLevel ?? (initial.config.logLevel as BootOptions['logLevel']) ?? 'info';
  return { configPath, initial, routerKey, routerKeyGenerated: !configured, env, overrides, logLevel, prettyLogs };
}

export function routerKeyBanner(key: string, envName: string): string {
  const line = '='.repeat(78);
  return [
    line,
    ' LLM-router generated an API key for this run (none was configured):',
    '',
    `     ${key}`,
    '',
    ' Paste it as the "OpenAI API Key" in Cursor (or your client). To keep it across restarts,',
    ` put ${envName}=<key> in .env or the environment, or start with --llmrouter-api-key <key>.`,
    line,
    '',
  ].join('\n');
}

export { ConfigError };
