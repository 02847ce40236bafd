import { connect } from 'node:net';
import type { ServerResponse } from 'node:http';
import { chunk, FakeUpstream, json } from './fake-upstream';
import { auth, backend, startRouter, type RunningRouter } from './router-harness';
import { chatBody, sleep, waitFor } from './reliability-support';

// A client that leaves must stop the upstream work at once; a client that reads slowly must make the
// router read the upstream slowly (bytes in flight stay bounded, whatever the stream's length).

describe('cancellation', () => {
  let fake: FakeUpstream;
  let router: RunningRouter;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    router = await startRouter({
      backend_defaults: { retries: 2, max_retry_delay_ms: 5_000, keepalive_ms: 60_000 },
      backends: [backend('local', fake.url)],
    });
  });
  afterAll(async () => {
    await router.close();
    await fake.close();
  });

  function send(body: unknown, signal: AbortSignal) {
    return fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  }

  it('closes the upstream request when the client leaves before the response headers', async () => {
    fake.handle(() => undefined); // thinks forever
    const before = { requests: fake.requests.length, aborted: fake.aborted.length };
    const client = new AbortController();
    const pending = send(chatBody('local/m'), client.signal).catch(() => 'aborted');
    await waitFor(() => fake.requests.length === before.requests + 1, 'the upstream to receive the request');
    client.abort();
    expect(await pending).toBe('aborted');
    await waitFor(() => fake.aborted.length === before.aborted + 1, 'the upstream request to be closed');
  });

  it('closes the upstream stream when the client leaves mid-stream', async () => {
    let written = 0;
    fake.handle(async (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 400 && !res.destroyed; i++) {
        res.write(`data: ${JSON.stringify(chunk('m', `t${i} `))}\n\n`);
        written++;
        await sleep(25);
      }
      res.end('data: [DONE]\n\n');
    });
    const before = fake.aborted.length;
    const client = new AbortController();
    const res = await send(chatBody('local/m', true), client.signal);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('t0');
    client.abort();
    await waitFor(() => fake.aborted.length === before + 1, 'the upstream stream to be closed');
    const writtenAtClose = written;
    await sleep(100);
    expect(written).toBe(writtenAtClose);
    expect(written).toBeLessThan(400);
  });

  it('sends no further retry when the client leaves during a retry backoff', async () => {
    fake.handle((req, res) => json(res, 503, { error: { message: 'busy', type: 'server_error', code: null } }, { 'retry-after': '1' }));
    const before = fake.requests.length;
    const client = new AbortController();
    const pending = send(chatBody('local/m'), client.signal).catch(() => 'aborted');
    await waitFor(() => fake.requests.length === before + 1, 'the first attempt');
    await sleep(50); // the router is now waiting out retry-after
    client.abort();
    expect(await pending).toBe('aborted');
    await sleep(1_500); // past the retry-after the router would have waited
    expect(fake.requests.length).toBe(before + 1);
  });
});

describe('backpressure', () => {
  let fake: FakeUpstream;
  let router: RunningRouter;
  const TOTAL = 256 * 1024 * 1024;
  const EVENT = `data: ${JSON.stringify(chunk('m', 'x'.repeat(16 * 1024)))}\n\n`;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    router = await startRouter({ backends: [backend('local', fake.url)] });
  });
  afterAll(async () => {
    await router.close();
    await fake.close();
  });

  /** Writes up to TOTAL bytes of events, as fast as its socket accepts them (honouring its own backpressure). */
  async function writeLots(res: ServerResponse, progress: { written: number }): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    while (progress.written < TOTAL && !res.destroyed) {
      progress.written += EVENT.length;
      if (!res.write(EVENT)) {
        await new Promise<void>((resolve) => {
          // Both listeners go once either fires: one 'close' listener per wait would pile up.
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        });
      }
    }
    if (!res.destroyed) res.end('data: [DONE]\n\n');
  }

  it('reads the upstream only as fast as a client that does not read: bytes in flight stay bounded', async () => {
    const progress = { written: 0 };
    fake.handle((req, res) => writeLots(res, progress));
    const before = fake.aborted.length;
    const { port } = new URL(router.url);
    const body = JSON.stringify(chatBody('local/m', true));
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    let received = 0;
    socket.on('data', (d: Buffer) => (received += d.length));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth.Authorization}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await waitFor(() => received > 0, 'the response to start');
    socket.pause(); // a client that stops reading

    // Wait until the upstream is stuck: no progress for a while.
    let last = -1;
    for (let i = 0; i < 100 && progress.written !== last; i++) {
      last = progress.written;
      await sleep(300);
    }
    const stuckAt = progress.written;
    // Socket buffers on both legs plus the streams' highWaterMarks: a few MiB, far below the stream's size.
    expect(stuckAt).toBeLessThan(32 * 1024 * 1024);
    expect(stuckAt).toBeGreaterThan(0);

    // Reading again lets it flow again.
    socket.resume();
    await waitFor(() => progress.written > stuckAt + 8 * 1024 * 1024, 'the upstream to write again');
    socket.destroy();
    await waitFor(() => fake.aborted.length === before + 1, 'the upstream stream to be closed');
    expect(progress.written).toBeLessThan(TOTAL);
  });
});
