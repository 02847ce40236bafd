import { connect, type Socket } from 'node:net';
import OpenAI from 'openai';
import { FakeUpstream } from './fake-upstream';
import { auth, backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// Nothing is read or parsed for a caller who has not shown a key: the answer comes from ApiKeyGuard
// before the body, and a large body is not drained (the connection closes instead).

const BIG = 20 * 1024 * 1024;
const SMALL_BOUND = 1024 * 1024;

describe('security: the key before the body', () => {
  let fake: FakeUpstream;
  let router: RunningRouter;
  let port: number;
  const serverSockets: Socket[] = [];

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    router = await startRouter({ max_request_bytes: 32 * 1024 * 1024, backends: [backend('local', fake.url, { default: true })] });
    port = Number(new URL(router.url).port);
    router.app.getHttpServer().on('connection', (s: Socket) => serverSockets.push(s));
  });
  afterAll(async () => {
    await router.close();
    await fake.close();
  });

  /** Sends the head, then the body (or that many bytes of filler) while the router keeps the connection open. */
  function exchange(head: string, body: Buffer | number, waitForContinue = false): Promise<{ text: string; serverRead: number }> {
    return new Promise((resolve) => {
      const before = serverSockets.length;
      const socket = connect(port, '127.0.0.1');
      let text = '';
      let sent = 0;
      let finished = false;
      const bodyBytes = typeof body === 'number' ? body : body.length;
      const chunk = typeof body === 'number' ? Buffer.alloc(64 * 1024, 0x61) : body;
      const done = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        socket.destroy();
        const server = serverSockets[before];
        // The router's side of the connection: how much of the body it actually read.
        const settle = () => resolve({ text, serverRead: server?.bytesRead ?? 0 });
        if (server && !server.destroyed) server.once('close', settle);
        else settle();
      };
      const timer = setTimeout(done, 10_000);
      const writeBody = () => {
        while (sent < bodyBytes && !socket.destroyed) {
          const piece = chunk.subarray(0, Math.min(chunk.length, bodyBytes - sent));
          sent += piece.length;
          if (!socket.write(piece)) return void socket.once('drain', writeBody);
        }
      };
      socket.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        const final = text.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
        if (waitForContinue && final !== text && sent === 0) writeBody();
        // A final answer with its whole body: stop.
        const m = /\r\n\r\n/.exec(final);
        const length = /content-length: (\d+)/i.exec(final);
        if (m && length && final.length >= m.index + 4 + Number(length[1])) done();
      });
      socket.on('error', done);
      socket.on('close', done);
      socket.on('connect', () => {
        socket.write(head);
        if (!waitForContinue) writeBody();
      });
    });
  }

  const head = (authorization: string | undefined, length: number, extra = '', path = '/v1/chat/completions') =>
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n` +
    `${authorization ? `Authorization: ${authorization}\r\n` : ''}${extra}\r\n`;

  it.each([
    ['no key', undefined],
    ['a wrong key', 'Bearer sk-not-the-router-key'],
  ])('answers %s with 401 after reading at most a small part of a 20 MB body, and closes the connection', async (_what, authorization) => {
    const { text, serverRead } = await exchange(head(authorization, BIG), BIG);
    expect(text).toMatch(/^HTTP\/1\.1 401 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.type).toBe('authentication_error');
    expect(serverRead).toBeLessThan(SMALL_BOUND);
  });

  it('still lets the openai SDK see an AuthenticationError for a wrong key with a large body', async () => {
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'sk-wrong-key', maxRetries: 0 });
    const err = await client.chat.completions.create({ model: 'local/m', messages: [{ role: 'user', content: 'x'.repeat(2_000_000) }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('does not parse the body of a caller without a key, on a proxied route or any other path', async () => {
    for (const path of ['/v1/chat/completions', '/v1/embeddings', '/v1/no-such-route', '/metrics']) {
      const res = await fetch(`${router.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": broken json' });
      // A parse error (400) would mean the body was read and parsed first.
      expect([401, 404]).toContain(res.status);
      expect(((await res.json()) as { error: { message: string } }).error.message).not.toMatch(/JSON/);
    }
  });

  it('still parses and proxies the body of a caller with the key', async () => {
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'local/m', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(fake.last.body.messages[0].content).toBe('hi');
    const broken = await fetch(`${router.url}/v1/chat/completions`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"model": broken' });
    expect(broken.status).toBe(400);
  });

  it('invites the body with 100 Continue only from a caller with the key', async () => {
    const body = JSON.stringify({ model: 'local/m', messages: [{ role: 'user', content: 'continued' }] });
    const refused = await exchange(head(undefined, BIG, 'Expect: 100-continue\r\n'), BIG, true);
    expect(refused.text).toMatch(/^HTTP\/1\.1 401 /);
    expect(refused.serverRead).toBeLessThan(SMALL_BOUND);
    const invited = await exchange(head(`Bearer ${ROUTER_KEY}`, Buffer.byteLength(body), 'Expect: 100-continue\r\n'), Buffer.from(body), true);
    expect(invited.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(fake.last.body.messages[0].content).toBe('continued');
  });
});
