import OpenAI from 'openai';
import { FakeUpstream } from './fake-upstream';
import { backend, RunningRouter, startRouter } from './router-harness';
import { runCli } from './team-processes';

// `keys create NAME` from the built CLI: the printed entry, pasted into api_keys, accepts the printed key.

jest.setTimeout(60_000);

function parse(stdout: string): { key: string; entry: { name: string; key_sha256: string; allowed_models: string[] } } {
  const key = /^\s+(rsk_\S+)$/m.exec(stdout)?.[1];
  const entry = JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1));
  if (!key) throw new Error(`no key in output:\n${stdout}`);
  return { key, entry };
}

describe('node dist/main.js keys create NAME', () => {
  let up: FakeUpstream;
  let router: RunningRouter | undefined;
  beforeAll(async () => (up = await FakeUpstream.start()));
  afterAll(async () => {
    await router?.close();
    await up?.close();
  });

  it('prints a strong key once and an api_keys entry holding only its hash, which the router accepts', async () => {
    const first = await runCli(['keys', 'create', 'alice']);
    expect(first.code).toBe(0);
    const { key, entry } = parse(first.stdout);
    expect(key.length).toBeGreaterThanOrEqual(40);
    expect(entry).toMatchObject({ name: 'alice', key_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(entry)).not.toContain(key);
    expect(first.stdout.split(key)).toHaveLength(2);

    const second = parse((await runCli(['keys', 'create', 'alice'])).stdout);
    expect(second.key).not.toBe(key);

    router = await startRouter({
      backends: [backend('ollama', up.url, { default: true })],
      api_keys: [{ ...entry, allowed_models: ['ollama/*'] }],
    });
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: key, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'ollama/m', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0].message.content).toBe('Hello');
    await expect(
      new OpenAI({ baseURL: `${router.url}/v1`, apiKey: second.key, maxRetries: 0 }).models.list(),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('refuses a missing or unusable name with exit code 2', async () => {
    for (const args of [['keys', 'create'], ['keys', 'create', 'has space'], ['keys', 'delete', 'x']]) {
      const run = await runCli(args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
    }
  });
});
