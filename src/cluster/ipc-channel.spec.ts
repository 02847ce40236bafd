import { EventEmitter } from 'node:events';
import type { Worker } from 'node:cluster';
import { IpcClient, IpcServer } from './ipc-channel';

/**
 * A primary and its workers in one process: each worker's `process` and the primary's `Worker` object are
 * two ends of a pipe that delivers messages asynchronously and as JSON, as Node's IPC does.
 */
function fakeCluster() {
  const cluster = new EventEmitter();
  const server = new IpcServer(cluster as never);
  const connect = (opts: { closed?: boolean } = {}) => {
    const proc = new EventEmitter() as EventEmitter & { send: unknown };
    const worker = new EventEmitter() as EventEmitter & { send: unknown; isConnected(): boolean };
    let writes = 0;
    const pipe = (to: (msg: unknown) => void) => (msg: unknown, _h: unknown, _o: unknown, cb: (err: Error | null) => void) => {
      writes++;
      if (opts.closed) {
        setImmediate(() => cb(new Error('channel closed')));
        return false;
      }
      const copy = JSON.parse(JSON.stringify(msg)) as unknown;
      setImmediate(() => {
        cb(null);
        to(copy);
      });
      return true;
    };
    proc.send = pipe((msg) => cluster.emit('message', worker, msg));
    worker.send = pipe((msg) => proc.emit('message', msg));
    worker.isConnected = () => !opts.closed;
    const client = IpcClient.over(proc as never);
    return { client, writes: () => writes, worker: worker as unknown as Worker, listen: () => cluster.emit('listening', worker, {}), exit: () => cluster.emit('exit', worker, 0, null) };
  };
  return { server, connect };
}

describe('IPC channel between workers and the primary', () => {
  it("answers a worker's call with the primary's handler, and passes an error back as a rejection", async () => {
    const { server, connect } = fakeCluster();
    const counts = new Map<string, number>();
    server.handle('add', (key: string, n: number) => counts.set(key, (counts.get(key) ?? 0) + n).get(key));
    server.handle('fail', () => {
      throw new Error('no such thing');
    });
    const a = connect();
    const b = connect();
    await expect(a.client.call('add', 'k', 2)).resolves.toBe(2);
    await expect(b.client.call('add', 'k', 3)).resolves.toBe(5);
    await expect(a.client.call('fail')).rejects.toThrow('no such thing');
    await expect(a.client.call('unknown')).rejects.toThrow('no handler for unknown');
  });

  it("keeps one worker's fire-and-forget messages in order ahead of its next call, one pipe write per turn", async () => {
    const { server, connect } = fakeCluster();
    const seen: number[] = [];
    server.handle('push', (n: number) => seen.push(n));
    server.handle('read', () => seen);
    const w = connect();
    for (let i = 0; i < 100; i++) w.client.send('push', i);
    await expect(w.client.call('read')).resolves.toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (let i = 100; i < 150; i++) w.client.send('push', i);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(150);
    expect(w.writes()).toBe(4);
  });

  it('rejects at once when the channel is closed, instead of an uncaught error event', async () => {
    const { server, connect } = fakeCluster();
    server.handle('x', () => 1);
    const w = connect({ closed: true });
    await expect(w.client.call('x')).rejects.toThrow('channel closed');
    expect(() => w.client.send('x')).not.toThrow();
  });

  it('asks every listening worker, leaving out one that does not answer in time and one that has gone', async () => {
    const { server, connect } = fakeCluster();
    const workers = [connect(), connect(), connect(), connect()];
    workers[0].client.answer('count', () => 1);
    workers[1].client.answer('count', async () => 2);
    workers[2].client.answer('count', () => new Promise(() => undefined));
    workers[3].client.answer('count', () => 4);
    workers.forEach((w) => w.listen());
    workers[3].exit();
    // A worker not listening yet is not asked (it may not have its handlers).
    connect().client.answer('count', () => 100);
    await expect(server.askWorkers('count', 2000)).resolves.toEqual([1, 2]);
  });

  it('answers a worker that asks the primary, which asks every worker (a scrape through one worker)', async () => {
    const { server, connect } = fakeCluster();
    server.handle('total', async () => (await server.askWorkers<number>('mine', 1_000)).reduce((a, b) => a + b, 0));
    const a = connect();
    const b = connect();
    a.client.answer('mine', () => 3);
    b.client.answer('mine', () => 4);
    a.listen();
    b.listen();
    await expect(a.client.call('total')).resolves.toBe(7);
  });
});
