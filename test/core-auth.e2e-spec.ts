import { createServer } from 'node:net';
import OpenAI from 'openai';
import { FakeUpstream, json } from './fake-upstream';
import { auth, backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// The router key at the door, CORS for browser-based clients such as Cursor, the public health
// check, and the merged model list.

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('core: auth, CORS, health and the model list', () => {
  let ollama: FakeUpstream;
  let groq: FakeUpstream;
  let broken: FakeUpstream;
  let keyless: FakeUpstream;
  let router: RunningRouter;

  beforeAll(async () => {
    [ollama, groq, broken, keyless] = await Promise.all([FakeUpstream.start(), FakeUpstream.start(), FakeUpstream.start(), FakeUpstream.start()]);
    ollama.models = ['llama3.2', 'phi4'];
    groq.models = ['llama-3.3-70b-versatile'];
    broken.handle((_req, res) => json(res, 500, { error: { message: 'boom' } }));
    router = await startRouter(
      {
        aliases: { o1: 'groq/deepseek-r1', 'o3-mini': ['ollama/qwq', 'groq/qwq'] },
        backends: [
          backend('ollama', ollama.url, { default: true }),
          backend('groq', groq.url, { require_api_key: true, key_env_var: 'GROQ_API_KEY' }),
          backend('broken', broken.url),
          backend('gone', `http://127.0.0.1:${await closedPort()}/v1`),
          backend('keyless', keyless.url, { require_api_key: true, key_env_var: 'KEYLESS_KEY' }),
        ],
      },
      { GROQ_API_KEY: 'gsk_backend_key' },
    );
  });

  afterAll(async () => {
    await router?.close();
    await Promise.all([ollama, groq, broken, keyless].map((f) => f?.close()));
  });

  const chat = (headers: Record<string, string>, path = '/v1/chat/completions') =>
    fetch(`${router.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'ollama/llama3.2', messages: [{ role: 'user', content: 'Hi' }] }),
    });

  describe('the router key', () => {
    it.each([
      ['no Authorization header', {}, 'missing_api_key'],
      ['a non-Bearer scheme', { authorization: `Basic ${ROUTER_KEY}` }, 'missing_api_key'],
      ['an empty bearer', { authorization: 'Bearer ' }, 'missing_api_key'],
      ['a wrong key', { authorization: 'Bearer rsk_not_the_key' }, 'invalid_api_key'],
      ['the key with a wrong last character', { authorization: `Bearer ${ROUTER_KEY.slice(0, -1)}X` }, 'invalid_api_key'],
    ])('answers 401 to %s, without contacting a backend', async (_what, headers, code) => {
      const before = ollama.requests.length;
      // From a browser (it sends an Origin), so the page can read the error.
      const res = await chat({ ...headers, origin: 'https://cursor.example' });
      expect(res.status).toBe(401);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const body = (await res.json()) as any;
      expect(body.error).toMatchObject({ code, type: 'authentication_error' });
      expect(JSON.stringify(body)).not.toContain(ROUTER_KEY);
      expect(ollama.requests.length).toBe(before);
    });

    it.each([
      ['sk-proj-Abc123def456ghi789', 'OpenAI'],
      ['gsk_Abc123def456ghi789jkl', 'Groq'],
    ])('says a provider key (%s) looks like a %s key, without echoing it', async (key, provider) => {
      const res = await chat({ authorization: `Bearer ${key}` });
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(text).toContain(provider);
      expect(text).not.toContain(key);
      expect(text).not.toContain('Abc123');
    });

    it.each([['bearer'], ['BEARER'], ['Bearer']])('accepts the %s scheme in any case', async (scheme) => {
      const res = await chat({ authorization: `${scheme} ${ROUTER_KEY}` });
      expect(res.status).toBe(200);
    });

    it('rejects a wrong key given to the openai SDK with an AuthenticationError', async () => {
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
      await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    });
  });

  describe('CORS', () => {
    it.each([['/v1/chat/completions'], ['/chat/completions'], ['/v1/models'], ['/v1/anything/else'], ['/']])(
      'answers an OPTIONS preflight on %s with 204, without a key',
      async (path) => {
        const res = await fetch(`${router.url}${path}`, {
          method: 'OPTIONS',
          headers: {
            origin: 'https://cursor.example',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization,content-type',
          },
        });
        expect(res.status).toBe(204);
        expect(res.headers.get('access-control-allow-origin')).toBe('*');
        expect(res.headers.get('access-control-allow-methods')).toContain('POST');
        expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      },
    );

    it('puts CORS headers on normal responses and exposes the routing headers', async () => {
      const res = await chat({ ...auth, origin: 'https://cursor.example' });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const exposed = res.headers.get('access-control-expose-headers') ?? '';
      expect(exposed).toContain('x-llmrouter-backend');
      expect(exposed).toContain('x-llmrouter-model');
      expect(exposed).toContain('retry-after');
    });

    it('leaves CORS headers off answers to clients that send no Origin (SDKs and coding tools)', async () => {
      const res = await chat(auth);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-expose-headers')).toBeNull();
      expect(res.headers.get('vary')).toBe('Origin');
    });
  });

  it.each([['/health'], ['/v1/health']])('answers GET %s with 200 without a key', async (path) => {
    const res = await fetch(`${router.url}${path}`, { headers: { origin: 'https://status.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  describe('the model list', () => {
    it.each([['/v1/models'], ['/models']])('GET %s merges aliases and prefixed backend models, leaving out failing backends', async (path) => {
      const res = await fetch(`${router.url}${path}`, { headers: auth });
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(body.object).toBe('list');
      const ids = body.data.map((m: { id: string }) => m.id);
      expect(ids).toEqual(['o1', 'o3-mini', 'ollama/llama3.2', 'ollama/phi4', 'groq/llama-3.3-70b-versatile']);
      for (const m of body.data) expect(m.object).toBe('model');
      expect(groq.last.headers.authorization).toBe('Bearer gsk_backend_key');
      expect(ollama.requests.filter((r) => r.path === '/v1/models').every((r) => r.headers.authorization === undefined)).toBe(true);
      expect(JSON.stringify(groq.requests.map((r) => r.headers))).not.toContain(ROUTER_KEY);
    });

    it('asks every backend it can, but not one whose required key is missing', () => {
      expect(broken.requests.some((r) => r.path === '/v1/models')).toBe(true);
      expect(keyless.requests).toHaveLength(0);
    });

    it('works with the openai SDK', async () => {
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
      const ids: string[] = [];
      for await (const model of client.models.list()) ids.push(model.id);
      expect(ids).toContain('ollama/phi4');
      expect(ids).toContain('o1');
    });

    it('needs the router key', async () => {
      expect((await fetch(`${router.url}/v1/models`)).status).toBe(401);
    });
  });
});
