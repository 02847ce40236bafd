import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Real processes for the team e2e tests: a private redis-server on 127.0.0.1 (so a test may kill its
// own) and the built router (LLMROUTER_MAIN, default dist/main.js) started as a separate process.

export const ROUTER_MAIN = resolve(process.env.LLMROUTER_MAIN ?? 'dist/main.js');

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** A child process whose output is kept, with a bounded wait for a line matching a pattern. */
export class Proc {
  readonly lines: string[] = [];
  private readonly exited: Promise<void>;
  private partial = '';

  constructor(readonly child: ChildProcess) {
    const collect = (data: Buffer) => {
      const text = this.partial + data.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((done) => child.once('exit', () => done()));
  }

  linesMatching(pattern: RegExp): string[] {
    return this.lines.filter((l) => pattern.test(l));
  }

  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = this.lines.find((l) => pattern.test(l));
      if (hit) return hit;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${this.lines.join('\n')}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The key_sha256 of a client key, as the config holds it. */
export const sha256 = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

/** Writes `config` to a config.json of its own, for startRouterProcess. */
export function writeConfig(config: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'llmrouter-team-')), 'config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/**
 * A private redis-server. With `persistDir`, it keeps its data across a SIGKILL (append-only file, fsync on
 * every write), as a Redis with persistence would: what was written before it died is there when it comes back.
 */
export async function startRedis(port?: number, persistDir?: string): Promise<{ proc: Proc; port: number; url: string }> {
  const p = port ?? (await freePort());
  const persistence = persistDir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', persistDir] : ['--appendonly', 'no'];
  const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', ...persistence], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new Proc(child);
  await proc.waitFor(/Ready to accept connections/, 15_000);
  return { proc, port: p, url: `redis://127.0.0.1:${p}` };
}

export async function startRouterProcess(
  configPath: string,
  routerKey: string,
  env: Record<string, string> = {},
): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [ROUTER_MAIN, '--config', configPath, '--port', String(port), '--host', '127.0.0.1', '--llmrouter-api-key', routerKey],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', ...env } },
  );
  const proc = new Proc(child);
  await proc.waitFor(/LLM-router listening on/, 30_000);
  return { proc, url: `http://127.0.0.1:${port}` };
}

/** Runs the built CLI to completion and returns its stdout. */
export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [ROUTER_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}
