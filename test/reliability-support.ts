import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { auth } from './router-harness';

// Helpers shared by the reliability specs: fault-injecting servers on 127.0.0.1 and small clients.

/** Polls `check` every 10 ms until it is true; fails after `timeoutMs` (a safety net, not a timing assertion). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A listening port that never accepts: a child process listens with a backlog of one and blocks its event
 * loop, and one parked connection fills that backlog, so the kernel drops every further SYN and a connect
 * to it hangs until the connecting side's own timeout.
 */
export async function startBlackhole(): Promise<{ url: string; close(): void }> {
  const script =
    "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{" +
    'process.stdout.write(String(s.address().port)+"\\n");' +
    'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,60000);process.exit(0);});';
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('error', reject);
  });
  const parked: Socket[] = [];
  // Fill the accept queue; connections beyond it stay in SYN_SENT.
  for (let i = 0; i < 4; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    parked.push(s);
  }
  await sleep(100);
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close() {
      for (const s of parked) s.destroy();
      child.kill('SIGKILL');
    },
  };
}

/** A port where nothing listens (connection refused). */
export async function refusedUrl(): Promise<string> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/v1`;
}

/** A server that accepts each connection, reads the request, then resets it. Counts the connections. */
export async function startResetter(): Promise<{ url: string; count: () => number; close(): Promise<void> }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('data', () => {
      count++;
      s.resetAndDestroy();
    });
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    count: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface PostResult {
  status: number;
  headers: Headers;
  text: string;
}

/** POST a chat completion with the router key; reads the whole answer. */
export async function post(routerUrl: string, body: unknown, signal?: AbortSignal): Promise<PostResult> {
  const res = await fetch(`${routerUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export function chatBody(model: string, stream = false, extra: Record<string, unknown> = {}) {
  return { model, messages: [{ role: 'user', content: 'hi' }], stream, ...extra };
}

/** The `data:` payloads of an SSE text, comments excluded. */
export function sseData(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).trim());
}

/** Asserts a body is an OpenAI-style error ({"error":{message,type,code}}, code may be null) and returns it. */
export function openAIError(text: string): { message: string; type: string; code: string } {
  const parsed = JSON.parse(text) as { error?: { message?: unknown; type?: unknown; code?: unknown } };
  const e = parsed.error;
  if (!e || typeof e.message !== 'string' || typeof e.type !== 'string' || !(typeof e.code === 'string' || e.code === null)) {
    throw new Error(`not an OpenAI-style error: ${text.slice(0, 300)}`);
  }
  return e as { message: string; type: string; code: string };
}
