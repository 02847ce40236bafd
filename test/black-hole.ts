import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';

// A TCP address on 127.0.0.1 that behaves like a firewalled host: connections never complete and no RST
// comes back. A child process listens with a backlog of 1 and then blocks its event loop (Atomics.wait,
// no CPU), so it never accepts; once the kernel's accept queue is full, new SYNs are dropped.

const LISTENER = `
const server = require('node:net').createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write(server.address().port + '\\n');
  setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0), 50);
});`;

export interface BlackHole {
  url: string;
  close(): void;
}

export async function startBlackHole(): Promise<BlackHole> {
  const child: ChildProcess = spawn(process.execPath, ['-e', LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  await new Promise((r) => setTimeout(r, 200));
  // Fill the accept queue (and a little more): from now on a connect attempt hangs in SYN_SENT.
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => undefined));
  await new Promise((r) => setTimeout(r, 200));
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () => {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
    },
  };
}
