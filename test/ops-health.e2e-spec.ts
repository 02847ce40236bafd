import { defaultAnswer, FakeUpstream } from './fake-upstream';
import { startBlackhole } from './reliability-support';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

const BACKEND_KEY = 'sk-health-backend-key-5e6f';

describe('ops: health endpoints', () => {
  let primary: FakeUpstream;
  let slow: FakeUpstream;
  let hole: Awaited<ReturnType<typeof startBlackhole>>;
  const routers: RunningRouter[] = [];

  beforeAll(async () => {
    primary = await FakeUpstream.start();
    slow = await FakeUpstream.start();
    hole = await startBlackhole();
    // Never answers /models: the probe must give up after its 2 s timeout.
    slow.handle((req, res) => {
      if (!req.path.endsWith('/models')) defaultAnswer(slow, req, res);
    });
  });

  afterAll(async () => {
    for (const r of routers) await r.close();
    await primary.close();
    await slow.close();
    hole.close();
  });

  const start = async (backends: Record<string, unknown>[]) => {
    const r = await startRouter({ backends }, { PRIMARY_KEY: BACKEND_KEY });
    routers.push(r);
    return r;
  };
  const get = async (r: RunningRouter, path: string, key?: string) => {
    const res = await fetch(`${r.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return { status: res.status, text: await res.text() };
  };
  /** Readiness with its details: they need a key. */
  const ready = (r: RunningRouter) => get(r, '/health/ready', ROUTER_KEY);

  it('answers liveness on /health, /health/live and /v1/health without a key and without probing', async () => {
    const r = await start([backend('main', primary.url, { default: true })]);
    const before = primary.requests.length;
    for (const path of ['/health', '/health/live', '/v1/health']) {
      const res = await get(r, path);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text).status).toBe('ok');
    }
    expect(primary.requests.length).toBe(before);
  });

  it('is ready while the default backend answers, listing a down backend without failing', async () => {
    const before = primary.requests.length;
    const r = await start([
      backend('main', primary.url, { default: true, key_env_var: 'PRIMARY_KEY' }),
      backend('gone', 'http://127.0.0.1:9/v1'),
      backend('slow', slow.url),
    ]);
    const res = await ready(r);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body.status).toBe('ok');
    expect(body.details.backends.states).toEqual({
      main: { status: 'up' },
      gone: { status: 'down', reason: 'refused' },
      slow: { status: 'down', reason: 'timeout' },
    });
    // The probe used the backend's own key; the body shows neither addresses nor keys.
    const probe = primary.requests.slice(before).find((q) => q.path === '/v1/models');
    expect(probe?.headers.authorization).toBe(`Bearer ${BACKEND_KEY}`);
    for (const secret of [primary.url, slow.url, '127.0.0.1', BACKEND_KEY]) expect(res.text).not.toContain(secret);
  });

  it('tells a caller without a key only whether it is ready, and a wrong key no more', async () => {
    const r = await start([backend('main', primary.url, { default: true }), backend('gone', 'http://127.0.0.1:9/v1')]);
    for (const key of [undefined, 'rsk_not_a_configured_key']) {
      const res = await get(r, '/health/ready', key);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toEqual({ status: 'ok' });
    }
    const down = await start([backend('main', 'http://127.0.0.1:9/v1', { default: true })]);
    const res = await get(down, '/health/ready');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toEqual({ status: 'error' });
    expect(res.text).not.toContain('refused');
  });

  it('caches probe results so frequent probes do not reach the backends each time', async () => {
    const r = await start([backend('main', primary.url, { default: true })]);
    const before = primary.requests.length;
    for (let i = 0; i < 3; i++) expect((await get(r, '/health/ready')).status).toBe(200);
    expect(primary.requests.length - before).toBe(1);
  });

  it('answers 503 with the health JSON when the default backend is down', async () => {
    const r = await start([backend('main', 'http://127.0.0.1:9/v1', { default: true }), backend('other', primary.url)]);
    const res = await ready(r);
    expect(res.status).toBe(503);
    const body = JSON.parse(res.text);
    expect(body.status).toBe('error');
    expect(body.details.backends).toMatchObject({ status: 'down', default: 'main', states: { main: { status: 'down' }, other: { status: 'up' } } });
    expect((await get(r, '/health/live')).status).toBe(200);
  });

  it('answers within the 2 s probe timeout when a backend never completes the connection (black-holed host)', async () => {
    const r = await start([backend('main', primary.url, { default: true }), backend('hole', hole.url)]);
    const started = Date.now();
    const res = await ready(r);
    // A health check with a 5 s timeout (compose, Kubernetes) must see the router ready: main is up.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).details.backends.states).toEqual({ main: { status: 'up' }, hole: { status: 'down', reason: 'timeout' } });
    // Answered from the cache now, without waiting on the hole again.
    const again = Date.now();
    expect((await get(r, '/health/ready')).status).toBe(200);
    expect(Date.now() - again).toBeLessThan(1_000);
  });

  it('lists the other backends\' models within the 5 s list timeout when one backend is black-holed', async () => {
    const r = await start([backend('main', primary.url, { default: true }), backend('hole', hole.url)]);
    const started = Date.now();
    const res = await fetch(`${r.url}/v1/models`, { headers: { authorization: `Bearer ${ROUTER_KEY}` } });
    // The pool's connect timeout is 10 s; the list's own 5 s must bound the answer.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(res.status).toBe(200);
    const ids = ((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    expect(ids).toEqual(primary.models.map((m) => `main/${m}`));
  });
});
