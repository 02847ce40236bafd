import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Runs the built router (LLMROUTER_MAIN, default dist/main.js) as a real process, for what only a
// process shows: its stdout, its signals and its exit code.

export interface SpawnedRouter {
  url: string;
  port: number;
  configPath: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export async function spawnRouter(
  config: Record<string, unknown>,
  env: Record<string, string>,
  args: string[] = [],
): Promise<SpawnedRouter> {
  const dir = mkdtempSync(join(tmpdir(), 'llmrouter-ops-'));
  const configPath = join(dir, 'config.json');
  const port = await freePort();
  writeFileSync(configPath, JSON.stringify({ ...config, listening_port: port, host: '127.0.0.1' }, null, 2));
  const main = resolve(process.env.LLMROUTER_MAIN ?? 'dist/main.js');
  const child = spawn(process.execPath, [main, '--config', configPath, ...args], {
    cwd: dir,
    // A minimal environment: nothing from the developer's shell (keys!) reaches the router.
    env: { PATH: process.env.PATH ?? '', NODE_PATH: resolve('node_modules'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const started = await Promise.race([
    waitFor(() => out.includes('listening on'), 20_000),
    exited.then(() => false),
  ]);
  if (!started) {
    child.kill('SIGKILL');
    throw new Error(`router did not start:\n${out}\n${err}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    configPath,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: (signal) => child.kill(signal),
  };
}

/** Polls `check` every 25 ms until it is true or `timeoutMs` passed; resolves with the last result. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every stdout line parsed as JSON; throws on a line that is not. */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`log line is not JSON: ${l}`);
      }
    });
}
