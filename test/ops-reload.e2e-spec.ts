import { spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { chunk, completion, FakeUpstream, json } from './fake-upstream';
import { spawnRouter, waitFor, type SpawnedRouter } from './ops-spawn';
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

describe('ops: trust_proxy values Express would refuse', () => {
  let fake: FakeUpstream;
  let router: SpawnedRouter | undefined;
  const KEY = 'rsk_reload_trust_proxy_key';

  beforeAll(async () => {
    fake = await FakeUpstream.start();
  });
  afterAll(async () => {
    router?.kill('SIGKILL');
    await fake.close();
  });

  it.each([
    ['lb.internal', 'is not accepted (invalid IP address: lb.internal)'],
    ['true', 'is a string; write the JSON boolean true without quotes'],
  ])('refuses to start with trust_proxy "%s", saying why', async (value, why) => {
    const dir = mkdtempSync(join(tmpdir(), 'llmrouter-trust-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ trust_proxy: value, backends: [backend('fake', fake.url, { default: true })] }));
    const child = spawn(process.execPath, [resolve(process.env.LLMROUTER_MAIN ?? 'dist/main.js'), '--config', configPath, '--port', '0'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        r(c);
      });
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`trust_proxy: "${value}" ${why}`);
  });

  it('rejects a reload to trust_proxy "lb.internal", keeps serving on the old config, and logs why', async () => {
    const backends = [backend('fake', fake.url, { default: true })];
    router = await spawnRouter({ trust_proxy: 'loopback', backends }, { LLMROUTER_API_KEY: KEY });
    const ask = () =>
      fetch(`${router!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      });
    const write = (extra: Record<string, unknown>) =>
      saveByRename(router!.configPath, { listening_port: router!.port, host: '127.0.0.1', backends, ...extra });

    write({ trust_proxy: 'lb.internal', aliases: { newalias: 'fake/x' } });
    router.kill('SIGHUP');
    expect(await waitFor(() => router!.stdout().includes('the previous config stays in force'), 10_000)).toBe(true);
    expect(router.stdout()).toContain('trust_proxy: \\"lb.internal\\" is not accepted');
    expect(router.child.exitCode).toBeNull();
    expect((await ask()).status).toBe(200);
    // The alias of the refused file did not come in with it.
    const models = await fetch(`${router.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } }).then((r) => r.json() as Promise<{ data: Array<{ id: string }> }>);
    expect(models.data.map((m) => m.id)).not.toContain('newalias');

    write({ trust_proxy: '127.0.0.1', aliases: { newalias: 'fake/x' } });
    router.kill('SIGHUP');
    expect(
      await waitFor(async () => {
        const list = await fetch(`${router!.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } }).then((r) => r.json() as Promise<{ data: Array<{ id: string }> }>);
        return list.data.some((m) => m.id === 'newalias');
      }, 10_000),
    ).toBe(true);
  });
});
