import { renameSync, writeFileSync } from 'node:fs';
import OpenAI from 'openai';
import { FakeUpstream } from './fake-upstream';
import { waitFor } from './ops-spawn';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';
import { scriptChat } from './responses-upstream';

// The response store's limits as a user sets them in config.json, without Redis: a reload applies the
// new limits (not the ones of the config it replaces), and a response too large to keep says so.

describe('Responses bridge: the store follows its configured limits', () => {
  let up: FakeUpstream;
  let router: RunningRouter;
  let client: OpenAI;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    scriptChat(up, [{ text: 'Kept.' }]);
    router = await startRouter({ backends: [backend('ollama', up.url, { default: true })], responses_store: { ttl_seconds: 600, max_bytes: 200_000 } });
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await router?.close();
    await up?.close();
  });

  it('answers store: false for a response larger than max_bytes, and keeps nothing', async () => {
    const big = await client.responses.create({ model: 'ollama/m', input: 'x'.repeat(250_000) });
    expect((big as unknown as { store: boolean }).store).toBe(false);
    await expect(client.responses.retrieve(big.id)).rejects.toMatchObject({ status: 404 });
    const small = await client.responses.create({ model: 'ollama/m', input: 'x'.repeat(1_000) });
    expect((small as unknown as { store: boolean }).store).toBe(true);
    expect((await client.responses.retrieve(small.id)).id).toBe(small.id);
  });

  it('keeps responses for the ttl of the config a reload brought in', async () => {
    // The reload also renames the backend, so the test sees when it is in force.
    writeFileSync(`${router.configPath}.tmp`, JSON.stringify({ backends: [backend('fresh', up.url, { default: true })], responses_store: { ttl_seconds: 1 } }));
    renameSync(`${router.configPath}.tmp`, router.configPath);
    const reloaded = async () => (await client.models.list()).data.some((m) => m.id.startsWith('fresh/'));
    expect(await waitFor(reloaded, 10_000)).toBe(true);

    const created = await client.responses.create({ model: 'fresh/m', input: 'Forget me soon.' });
    expect((await client.responses.retrieve(created.id)).id).toBe(created.id);
    await new Promise((r) => setTimeout(r, 1_500));
    await expect(client.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
  });
});
