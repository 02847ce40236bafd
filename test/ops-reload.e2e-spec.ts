import type { ServerResponse } from 'node:http';
import { renameSync, writeFileSync } from 'node:fs';
import OpenAI from 'openai';
import { chunk, completion, FakeUpstream, json } from './fake-upstream';
import { waitFor } from './ops-spawn';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

/** Saves like editors that write a new file and rename it over the old one. */
function saveByRename(path: string, config: Record<string, unknown>): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(config, null, 2));
  renameSync(`${path}.tmp`, path);
}

describe('ops: config reload while requests are in flight', () => {
  let oldFake: FakeUpstream;
  let newFake: FakeUpstream;
  let router: RunningRouter;
  let client: OpenAI;
  let held: ServerResponse | undefined;

  beforeAll(async () => {
    oldFake = await FakeUpstream.start();
    newFake = await FakeUpstream.start();
    oldFake.handle((req, res) => {
      if (!req.body?.stream) return json(res, 200, completion(req.body.model, 'from old'));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk(req.body.model, 'old-1 '))}\n\n`);
      held = res;
    });
    newFake.handle((req, res) => json(res, 200, completion(req.body.model, 'from new')));
    router = await startRouter({ backends: [backend('old', oldFake.url, { default: true })] });
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
  });

  afterAll(async () => {
    held?.end();
    await router.close();
    await oldFake.close();
    await newFake.close();
  });

  const ask = async () => {
    const reply = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    return reply.choices[0].message.content;
  };

  it('finishes an open stream on the old backend and sends the next request by the new file', async () => {
    const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.choices[0].delta.content).toBe('old-1 ');

    saveByRename(router.configPath, { backends: [backend('new', newFake.url, { default: true })] });
    // The file watcher (or its polling fallback) picks the save up within a few seconds.
    expect(await waitFor(async () => (await ask()) === 'from new', 10_000)).toBe(true);

    held!.write(`data: ${JSON.stringify(chunk('m', 'old-2'))}\n\n`);
    held!.end('data: [DONE]\n\n');
    let rest = '';
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest += next.value.choices[0]?.delta?.content ?? '';
    expect(rest).toBe('old-2');
    expect(oldFake.requests.filter((r) => r.body?.stream)).toHaveLength(1);
  });

  it('keeps the config in force when the new file is invalid', async () => {
    saveByRename(router.configPath, { backends: [{ name: 'broken', prefix: '' }] });
    // Give the watcher time to see (and reject) it; requests keep going to the valid config's backend.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await ask()).toBe('from new');
    saveByRename(router.configPath, { backends: [backend('old', oldFake.url, { default: true })] });
    expect(await waitFor(async () => (await ask()) === 'from old', 10_000)).toBe(true);
  });
});
