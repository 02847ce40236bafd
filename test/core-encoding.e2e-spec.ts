import { gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { completion, FakeUpstream } from './fake-upstream';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// The router asks backends for identity encoding; one that compresses anyway must still reach the
// client intact: the bytes and their content-encoding go through together.

describe('core: a backend that compresses its answer anyway', () => {
  let up: FakeUpstream;
  let router: RunningRouter;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    router = await startRouter({ backends: [backend('local', up.url, { default: true })] });
    up.handle((req, res) => {
      const body = gzipSync(JSON.stringify(completion(req.body.model, 'compressed hello')));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
    });
  });
  afterAll(async () => {
    await router.close();
    await up.close();
  });

  it('asks the backend for identity encoding', async () => {
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
    await client.chat.completions.create({ model: 'local/m', messages: [{ role: 'user', content: 'hi' }] });
    expect(up.last.headers['accept-encoding']).toBe('identity');
  });

  it('relays the compressed bytes with their content-encoding, so the official SDK reads the answer', async () => {
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'local/m', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0].message.content).toBe('compressed hello');
  });
});
