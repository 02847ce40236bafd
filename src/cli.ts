// Command-line parsing, kept pure so it is unit-tested without starting anything.

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface CliOptions {
  config?: string;
  port?: number;
  host?: string;
  apiKey?: string;
  /** The environment variable holding the router key (overrides llmrouter_api_key_env). */
  apiKeyEnv?: string;
  logLevel?: LogLevel;
  workers?: number | 'auto';
}

export type CliCommand =
  | { kind: 'serve'; options: CliOptions }
  | { kind: 'help' }
  | { kind: 'keys-create'; name: string };

export class CliError extends Error {}

export const USAGE = `Usage: node dist/main.js [options]
       node dist/main.js keys create NAME

Routes OpenAI-compatible API requests to backends chosen by the model's prefix.

Options (one or two dashes, as in the Go original: -port 8080, --port=8080):
  --config FILE                  config file (default: $LLMROUTER_CONFIG, else ./config.json, else the embedded default)
  --port N                       port to listen on (overrides listening_port; default 11411)
  --host ADDR                    address to bind (overrides host; default 0.0.0.0)
  --llmrouter-api-key KEY        the router's own API key (default: the variable below)
  --llmrouter-api-key-env NAME   environment variable holding the router key (overrides llmrouter_api_key_env;
                                 default LLMROUTER_API_KEY)
  --log-level LEVEL              error, warn, info (default) or debug
  --workers N|auto               router processes sharing the port (default 1; auto = one per core)
  -h, --help                     print this help

Commands:
  keys create NAME           print a new client key once, and the api_keys entry (with its SHA-256) for config.json
`;

const VALUE_FLAGS = new Set(['--config', '--port', '--host', '--llmrouter-api-key', '--llmrouter-api-key-env', '--log-level', '--workers']);
const HELP_FLAGS = new Set(['-h', '--h', '-help', '--help']);

export function parseCli(argv: string[]): CliCommand {
  if (argv[0] === 'keys') {
    if (argv[1] !== 'create' || !argv[2] || argv.length > 3) throw new CliError('usage: keys create NAME');
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(argv[2])) {
      throw new CliError('key name must be 1-64 letters, digits, ".", "_" or "-"');
    }
    return { kind: 'keys-create', name: argv[2] };
  }
  const options: CliOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (HELP_FLAGS.has(arg)) return { kind: 'help' };
    // Go's flag package: -flag and --flag are the same; the value follows "=" or is the next argument.
    const eq = arg.indexOf('=');
    const written = eq > 0 && arg.startsWith('-') ? arg.slice(0, eq) : arg;
    const flag = /^-[^-]/.test(written) ? `-${written}` : written;
    if (!VALUE_FLAGS.has(flag)) throw new CliError(`unknown option: ${written} (see --help)`);
    let value: string | undefined;
    if (eq > 0 && arg.startsWith('-')) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined || value === '') throw new CliError(`${flag} needs a value`);
    switch (flag) {
      case '--config':
        options.config = value;
        break;
      case '--port':
        options.port = parsePort(value);
        break;
      case '--host':
        options.host = value;
        break;
      case '--llmrouter-api-key':
        options.apiKey = value;
        break;
      case '--llmrouter-api-key-env':
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) throw new CliError(`--llmrouter-api-key-env must be a variable name, got "${value}"`);
        options.apiKeyEnv = value;
        break;
      case '--log-level':
        if (!(LOG_LEVELS as readonly string[]).includes(value)) {
          throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
        }
        options.logLevel = value as LogLevel;
        break;
      case '--workers':
        if (value !== 'auto' && !/^[1-9]\d{0,2}$/.test(value)) throw new CliError('--workers must be a number or "auto"');
        options.workers = value === 'auto' ? 'auto' : Number(value);
        break;
    }
  }
  return { kind: 'serve', options };
}

function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new CliError(`--port must be 0-65535, got "${value}"`);
  return Number(value);
}
