import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ops-spawn';

// The real coding agents (installed by `.ci/run` into test/agents, a package of its own) and the
// sealed environment each run gets: its own HOME/TMPDIR, a proxy on a dead 127.0.0.1 port so that any
// call off the machine fails at once, and every telemetry/update/plugin switch off.

export const AGENTS_DIR = join(__dirname, 'agents');
const MODULES = join(AGENTS_DIR, 'node_modules');

export type AgentName = 'codex' | 'claude' | 'opencode' | 'gemini';

/** Program and leading arguments that start `name`; throws a clear error when test/agents is not installed. */
export function agentCommand(name: AgentName): { command: string; args: string[] } {
  const candidates: Record<AgentName, () => { command: string; args: string[] }> = {
    codex: () => native(join(MODULES, '@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex')),
    claude: () => native(join(MODULES, '@anthropic-ai/claude-code-linux-x64/claude')),
    // The baseline build runs on CPUs without AVX2.
    opencode: () =>
      native(join(MODULES, hasAvx2() ? 'opencode-linux-x64' : 'opencode-linux-x64-baseline', 'bin/opencode')),
    gemini: () => ({
      command: process.execPath,
      args: [requireFile(join(MODULES, '@google/gemini-cli/bundle/gemini.js'))],
    }),
  };
  return candidates[name]();
}

function native(path: string): { command: string; args: string[] } {
  return { command: requireFile(path), args: [] };
}

function requireFile(path: string): string {
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: the coding agents' test package is not installed. ` +
        'Run `npm ci --prefix test/agents --no-audit --no-fund` (.ci/run does).',
    );
  }
  return path;
}

function hasAvx2(): boolean {
  try {
    return /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

export interface AgentSandbox {
  /** Scratch root: home/, tmp/, work/ (the agent's working directory) live under it. */
  root: string;
  home: string;
  work: string;
  env: Record<string, string>;
  cleanup(): void;
}

/** A fresh HOME/TMPDIR/CODEX_HOME and an environment that keeps every agent on 127.0.0.1. */
export async function agentSandbox(extra: Record<string, string> = {}): Promise<AgentSandbox> {
  const root = mkdtempSync(join(tmpdir(), 'llmrouter-agent-'));
  const home = join(root, 'home');
  const tmp = join(root, 'tmp');
  const work = join(root, 'work');
  for (const dir of [home, tmp, work, join(home, '.codex'), join(home, '.config')]) mkdirSync(dir, { recursive: true });
  // Nothing listens there: a request that ignores NO_PROXY is refused at once instead of leaving the machine.
  const deadProxy = `http://127.0.0.1:${await freePort()}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: tmp,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_STATE_HOME: join(home, '.local/state'),
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1',
    CI: '1',
    HTTP_PROXY: deadProxy,
    HTTPS_PROXY: deadProxy,
    ALL_PROXY: deadProxy,
    http_proxy: deadProxy,
    https_proxy: deadProxy,
    all_proxy: deadProxy,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    // Codex
    CODEX_HOME: join(home, '.codex'),
    // Claude Code
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_BUG_COMMAND: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    // opencode
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    OPENCODE_DISABLE_SHARE: '1',
    // Gemini CLI
    GEMINI_CLI_NO_RELAUNCH: 'true',
    GEMINI_TELEMETRY_ENABLED: 'false',
    ...extra,
  };
  return { root, home, work, env, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export interface AgentRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs an agent to its end, killed (SIGKILL, its whole process group) after `timeoutMs`. */
export function runAgent(
  name: AgentName,
  args: string[],
  opts: { env: Record<string, string>; cwd: string; timeoutMs: number; stdin?: string },
): Promise<AgentRun> {
  const { command, args: lead } = agentCommand(name);
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...lead, ...args], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}
