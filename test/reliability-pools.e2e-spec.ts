import { writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import request from 'supertest';
import { RouterConfigService } from '../src/config/router-config.service';
import { completion, FakeUpstream, json } from './fake-upstream';
import { auth, backend, startRouter, type RunningRouter } from './router-harness';
import { chatBody, openAIError, post, sleep, waitFor } from './reliability-support';

// Upstream connections under reloads, retries and a capped pool: keep-alive connections are reused where
// they can be, no pool is opened for a backend the config no longer has, and a full pool answers a
// clear 503 instead of queueing silently.

describe('upstream connection pools', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let router: RunningRouter | undefined;
  /** The router's local port of the connection each upstream request came in on. */
  const ports: number[] = [];

  beforeEach(async () => {
    a = await FakeUpstream.start();
    b = await FakeUpstream.start();
    ports.length = 0;
  });
  afterEach(async () => {
    await router?.close();
    router = undefined;
    await a.close();
    await b.close();
  });

  const reload = (config: Record<string, unknown>) => {
    writeFileSync(router!.configPath, JSON.stringify(config));
    router!.app.get(RouterConfigService).reload();
  };

  it('keeps the pool of a backend whose connection settings a reload did not change: the same connection serves on', async () => {
    a.handle((req, res, raw) => {
      ports.push(raw.socket.remotePort ?? -1);
      json(res, 200, completion(req.body.model, 'hi'));
    });
    const config = { backends: [backend('a', a.url, { default: true })] };
    router = await startRouter(config);
    expect((await post(router.url, chatBody('a/m'))).status).toBe(200);
    // A reload that changes something else (an alias, another backend) but not backend a's connection.
    reload({ ...config, aliases: { fast: 'a/m' }, backends: [...config.backends, backend('b', b.url)] });
    expect((await post(router.url, chatBody('fast'))).status).toBe(200);
    expect(ports).toHaveLength(2);
    expect(ports[1]).toBe(ports[0]);
  });

  it('opens a new pool when a backend\'s connection settings change', async () => {
    a.handle((req, res, raw) => {
      ports.push(raw.socket.remotePort ?? -1);
      json(res, 200, completion(req.body.model, 'hi'));
    });
    router = await startRouter({ backends: [backend('a', a.url, { default: true })] });
    expect((await post(router.url, chatBody('a/m'))).status).toBe(200);
    reload({ backends: [backend('a', a.url, { default: true, timeout_ms: 5000 })] });
    expect((await post(router.url, chatBody('a/m'))).status).toBe(200);
    expect(ports[1]).not.toBe(ports[0]);
  });

  it('does not send a retry to a backend a reload removed meanwhile (no pool is opened for it)', async () => {
    a.handle((req, res) => json(res, 503, { error: { message: 'busy' } }, { 'retry-after-ms': '400' }));
    router = await startRouter({ backend_defaults: { retries: 1 }, backends: [backend('a', a.url, { default: true })] });
    const pending = post(router.url, chatBody('a/m'));
    await waitFor(() => a.requests.length === 1, 'the first attempt');
    reload({ backends: [backend('b', b.url, { default: true })] });
    const res = await pending;
    expect(res.status).toBe(503);
    expect(openAIError(res.text).code).toBe('backend_removed');
    await sleep(100);
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(0);
  });

  it('reads a small retried 429/5xx body to its end so the retry reuses the keep-alive connection', async () => {
    let calls = 0;
    a.handle((req, res, raw) => {
      ports.push(raw.socket.remotePort ?? -1);
      if (++calls < 3) {
        // The body arrives in two parts, as a real server's may: it is still unread when the router decides to retry.
        const body = JSON.stringify({ error: { message: 'try again later', type: 'server_error' } });
        res.writeHead(calls === 1 ? 429 : 503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'retry-after-ms': '50' });
        res.write(body.slice(0, 10));
        setTimeout(() => res.end(body.slice(10)), 20);
        return;
      }
      json(res, 200, completion(req.body.model, 'third time'));
    });
    router = await startRouter({ backend_defaults: { retries: 2 }, backends: [backend('a', a.url, { default: true })] });
    const res = await post(router.url, chatBody('a/m'));
    expect(res.status).toBe(200);
    expect(res.text).toContain('third time');
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(1);
  });

  it('with max_sockets reached, counts the waiting request in /metrics and answers 503 after connect_timeout_ms', async () => {
    let held: ServerResponse | undefined;
    a.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': first\n\n');
      held = res;
    });
    router = await startRouter({ backends: [backend('a', a.url, { default: true, max_sockets: 1, connect_timeout_ms: 1500, retries: 0 })] });
    const first = new AbortController();
    const streaming = post(router.url, chatBody('a/m', true), first.signal).catch(() => undefined);
    await waitFor(() => held !== undefined, 'the first stream to start');

    const started = Date.now();
    const waiting = post(router.url, chatBody('a/m'));
    await sleep(300);
    const metrics = await request(router.url).get('/metrics').set(auth);
    expect(metrics.text).toMatch(/llmrouter_upstream_pool_waiting\{backend="a"\} 1/);
    const res = await waiting;
    expect(res.status).toBe(503);
    const error = openAIError(res.text);
    expect(error.code).toBe('backend_pool_full');
    expect(error.message).toMatch(/"a".*max_sockets/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(a.requests).toHaveLength(1);

    first.abort();
    held?.end();
    await streaming;
  });

  it('with max_sockets reached, a waiting request goes ahead as soon as a connection is free', async () => {
    let held: ServerResponse | undefined;
    a.handle((req, res) => {
      if (req.body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(': first\n\n');
        held = res;
        return;
      }
      json(res, 200, completion(req.body.model, 'second'));
    });
    router = await startRouter({ backends: [backend('a', a.url, { default: true, max_sockets: 1, connect_timeout_ms: 5000 })] });
    const streaming = post(router.url, chatBody('a/m', true));
    await waitFor(() => held !== undefined, 'the first stream to start');
    const waiting = post(router.url, chatBody('a/m'));
    await sleep(200);
    expect(a.requests).toHaveLength(1);
    held!.end('data: [DONE]\n\n');
    expect((await streaming).status).toBe(200);
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.text).toContain('second');
  });
});
