import { spawn, type ChildProcess } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chunk, FakeUpstream } from './fake-upstream';
import { freePort, waitFor } from './ops-spawn';

// `workers` > 1 as a user runs it: a primary and its workers in one process group, as a terminal starts them.

const KEY = 'rsk_ops_workers_key';
const MAIN = resolve(process.env.LLMROUTER_MAIN ?? 'dist/main.js');

interface Group {
  child: ChildProcess;
  port: number;
  out(): string;
  exited: Promise<number | null>;
}

async function startGroup(backendUrl: string, port: number): Promise<Group> {
  const dir = mkdtempSync(join(tmpdir(), 'llmrouter-workers-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({ backends: [{ name: 'fake', base_url: backendUrl, prefix: 'fake/', default: true }] }));
  // detached: a process group of its own, so the test can signal the whole group as Ctrl-C does.
  const child = spawn(process.execPath, [MAIN, '--config', configPath, '--workers', '2', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: dir,
    detached: true,
    env: { PATH: process.env.PATH ?? '', LLMROUTER_API_KEY: KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, port, out: () => out, exited };
}

function killGroup(group: Group): void {
  try {
    process.kill(-group.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('ops: workers > 1', () => {
  let fake: FakeUpstream;
  let held: ServerResponse | undefined;
  const groups: Group[] = [];

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    fake.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk(req.body.model, 'first '))}\n\n`);
      held = res;
    });
  });
  afterAll(async () => {
    groups.forEach(killGroup);
    held?.destroy();
    await fake.close();
  });

  it('drains each worker once when Ctrl-C signals the whole group and the primary forwards it again', async () => {
    const group = await startGroup(fake.url, await freePort());
    groups.push(group);
    expect(await waitFor(() => (group.out().match(/listening on/g) ?? []).length === 2, 30_000)).toBe(true);

    const stream = { body: '', ended: false };
    const req = request(`http://127.0.0.1:${group.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      res.on('data', (d: Buffer) => (stream.body += d.toString()));
      res.on('end', () => (stream.ended = true));
    });
    req.on('error', () => undefined);
    req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    expect(await waitFor(() => stream.body.includes('first'), 10_000)).toBe(true);

    // Ctrl-C: SIGINT to every process of the group; the primary then forwards one more to each worker.
    process.kill(-group.child.pid!, 'SIGINT');
    expect(await waitFor(() => (group.out().match(/SIGINT received/g) ?? []).length === 2, 10_000)).toBe(true);
    // Let the forwarded signal land while the stream is still open.
    await new Promise((r) => setTimeout(r, 1_000));
    held!.write(`data: ${JSON.stringify(chunk('m', 'second'))}\n\n`);
    held!.end('data: [DONE]\n\n');

    expect(await group.exited).toBe(0);
    expect(await waitFor(() => stream.ended, 5_000)).toBe(true);
    expect(stream.body).toContain('second');
    expect(stream.body).toContain('[DONE]');
    expect(group.out().match(/SIGINT received/g)).toHaveLength(2);
  }, 60_000);

  it('gives up with a clear message when workers cannot start (port in use) instead of forking forever', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    try {
      const group = await startGroup(fake.url, (taken.address() as { port: number }).port);
      groups.push(group);
      let deadline: NodeJS.Timeout | undefined;
      const code = await Promise.race([group.exited, new Promise<'still running'>((r) => (deadline = setTimeout(() => r('still running'), 45_000)))]);
      // Cleared, or it would hold the jest worker open for the rest of the 45 s.
      clearTimeout(deadline);
      expect(code).toBe(1);
      expect(group.out()).toMatch(/EADDRINUSE/);
      expect(group.out()).toMatch(/failed to start \(exit code 1\); trying again in 500 ms/);
      expect(group.out()).toMatch(/a worker failed to start 5 times in a row \(last: exit code 1\); giving up/);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  }, 60_000);
});
