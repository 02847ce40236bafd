import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

// A real headless Chromium (Debian's package, at /usr/bin/chromium) for browser tests, driven by
// puppeteer-core in test/browser/chromium-driver.mjs. A missing browser fails the test: it never skips.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DRIVER = resolve(__dirname, 'browser/chromium-driver.mjs');

export class Chromium {
  private nextId = 1;
  private readonly pending = new Map<number, { done: (v: unknown) => void; fail: (e: Error) => void }>();
  private readonly stderr: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const { id, value, error } = JSON.parse(line) as { id: number; value?: unknown; error?: string };
      const waiter = this.pending.get(id);
      this.pending.delete(id);
      if (error !== undefined) waiter?.fail(new Error(error));
      else waiter?.done(value);
    });
    child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString('utf8')));
    child.once('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.fail(new Error(`the browser driver exited (${code}): ${this.stderr.join('')}`));
      this.pending.clear();
    });
  }

  static async launch(): Promise<Chromium> {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (.ci/run does this)`);
    }
    const profile = mkdtempSync(join(tmpdir(), 'llmrouter-chromium-'));
    const child = spawn(process.execPath, [DRIVER, CHROMIUM, profile], { stdio: ['pipe', 'pipe', 'pipe'] });
    const browser = new Chromium(child, profile);
    const ready = new Promise((done, fail) => browser.pending.set(0, { done, fail }));
    await ready;
    return browser;
  }

  call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((done, fail) => {
      this.pending.set(id, { done: done as (v: unknown) => void, fail });
      this.child.stdin!.write(`${JSON.stringify({ id, op, args })}\n`);
    });
  }

  /** Runs a function in the page. It is sent as source text: it may use only its argument (JSON). */
  evaluate<T, A = undefined>(fn: (arg: A) => T, arg?: A): Promise<T> {
    return this.call<T>('evaluate', { expression: `(${fn.toString()})(${JSON.stringify(arg ?? null)})` });
  }

  /** Waits (bounded) until the function returns true in the page; same rules as evaluate. */
  waitFor<A = undefined>(fn: (arg: A) => boolean, arg?: A, timeout = 20_000): Promise<void> {
    return this.call('waitFor', { expression: `(${fn.toString()})(${JSON.stringify(arg ?? null)})`, timeout }).then(() => undefined);
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    await new Promise<void>((done) => {
      if (this.child.exitCode !== null) return done();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
    });
    rmSync(this.profile, { recursive: true, force: true });
  }
}
