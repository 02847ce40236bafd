import type { ServerResponse } from 'node:http';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { chunk, FakeUpstream } from './fake-upstream';
import { jsonLines, spawnRouter, waitFor } from './ops-spawn';

const ROUTER_KEY = 'rsk_ops_shutdown_key';

/** Resolves true when a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/** Starts a streamed chat (or Anthropic Messages) request with a raw client; `body` collects what arrives. */
function openStream(url: string, agent?: Agent, path = '/v1/chat/completions') {
  const state = { status: 0, body: '', ended: false, closed: false };
  const req = request(`${url}${path}`, {
    method: 'POST',
    agent,
    headers: { authorization: `Bearer ${ROUTER_KEY}`, 'content-type': 'application/json' },
  });
  req.on('response', (res) => {
    state.status = res.statusCode ?? 0;
    res.on('data', (d: Buffer) => (state.body += d.toString('utf8')));
    res.on('end', () => (state.ended = true));
    res.on('close', () => (state.closed = true));
  });
  req.on('error', () => (state.closed = true));
  req.end(JSON.stringify({ model: 'm', stream: true, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }));
  return state;
}

describe('ops: graceful shutdown of the real process', () => {
  let fake: FakeUpstream;
  let held: ServerResponse[] = [];

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    fake.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk(req.body.model, 'first '))}\n\n`);
      held.push(res);
    });
  });

  afterEach(() => {
    for (const res of held) res.destroy();
    held = [];
  });

  afterAll(() => fake.close());

  it('on SIGTERM refuses new connections, closes idle ones, lets the open stream finish and exits 0', async () => {
    const router = await spawnRouter({ backends: [{ name: 'fake', base_url: fake.url, prefix: 'fake/', default: true }] }, { LLMROUTER_API_KEY: ROUTER_KEY });
    try {
      // An idle keep-alive connection, as a client pool leaves behind after a request.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const idleClosed = new Promise<boolean>((resolve) => {
        const req = request(`${router.url}/health`, { agent }, (res) => {
          res.resume();
          res.on('end', () => req.socket?.once('close', () => resolve(true)));
        });
        req.end();
      });
      const stream = openStream(router.url);
      expect(await waitFor(() => stream.body.includes('first'), 10_000)).toBe(true);

      router.kill('SIGTERM');
      expect(await waitFor(() => refused(router.port), 10_000)).toBe(true);
      expect(await idleClosed).toBe(true);
      expect(stream.ended).toBe(false);

      held[0].write(`data: ${JSON.stringify(chunk('m', 'second'))}\n\n`);
      held[0].end('data: [DONE]\n\n');
      expect(await router.exited).toBe(0);
      expect(stream.ended).toBe(true);
      expect(stream.status).toBe(200);
      expect(stream.body).toContain('second');
      expect(stream.body).toContain('[DONE]');
      agent.destroy();
    } finally {
      if (router.child.exitCode === null) router.kill('SIGKILL');
    }
  }, 30_000);

  it('gives up on a stream that never ends after shutdown_grace_ms and still exits 0', async () => {
    const router = await spawnRouter(
      { shutdown_grace_ms: 300, backends: [{ name: 'fake', base_url: fake.url, prefix: 'fake/', default: true }] },
      { LLMROUTER_API_KEY: ROUTER_KEY },
    );
    try {
      const stream = openStream(router.url);
      const messages = openStream(router.url, undefined, '/v1/messages');
      expect(await waitFor(() => stream.body.includes('first') && messages.body.includes('first'), 10_000)).toBe(true);
      router.kill('SIGTERM');
      expect(await router.exited).toBe(0);
      expect(await waitFor(() => stream.closed && messages.closed, 5_000)).toBe(true);
      expect(stream.body).not.toContain('[DONE]');
      // Not a cut connection: each stream ends properly with its dialect's terminal error event.
      expect(stream.ended).toBe(true);
      const last = stream.body.trim().split('\n\n').at(-1)!;
      expect(JSON.parse(last.replace(/^data: /, ''))).toEqual({ error: { message: expect.stringMatching(/shutting down/), type: 'api_error', code: 'router_shutting_down' } });
      expect(messages.ended).toBe(true);
      expect(messages.body).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"\w+","message":"The router is shutting down[^"]*"\}\}\n\n$/);
      const lines = jsonLines(router.stdout());
      expect(lines.some((l) => l.level === 'warn' && String(l.msg).includes('shutdown_grace_ms (300 ms) is over'))).toBe(true);
    } finally {
      if (router.child.exitCode === null) router.kill('SIGKILL');
    }
  }, 30_000);
});
