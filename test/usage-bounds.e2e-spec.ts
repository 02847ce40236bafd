import { FakeUpstream, json } from './fake-upstream';
import { auth, backend, RunningRouter, startRouter } from './router-harness';

// Model names come from clients: usage must not grow a row for every name someone makes up.

interface UsageReport {
  windows: Array<{ window: string; data: Array<{ key: string; model: string; requests: number; total_tokens: number }> }>;
}

describe('usage: bounded rows', () => {
  let up: FakeUpstream;
  let router: RunningRouter;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    // The backend knows one model; any other name is a 404, as Ollama and OpenAI answer.
    up.handle((req, res) => {
      if (req.body?.model !== 'phi4') return json(res, 404, { error: { message: `model '${req.body?.model}' not found` } });
      json(res, 200, {
        id: 'c',
        object: 'chat.completion',
        created: 1,
        model: 'phi4',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      });
    });
    router = await startRouter({ backends: [backend('ollama', up.url, { default: true })] });
  });
  afterAll(async () => {
    await router?.close();
    await up?.close();
  });

  const chat = (model: string) =>
    fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
  const dayRows = async () => {
    const report = (await (await fetch(`${router.url}/v1/usage`, { headers: auth })).json()) as UsageReport;
    return report.windows.find((w) => w.window === 'day')!.data;
  };

  it('counts 2,000 made-up model names under one row and keeps the served model its own', async () => {
    expect((await chat('ollama/phi4')).status).toBe(200);
    const names = Array.from({ length: 2_000 }, (_, i) => `ollama/made-up-${i}-${'x'.repeat(100)}`);
    for (let i = 0; i < names.length; i += 50) {
      const statuses = await Promise.all(names.slice(i, i + 50).map(async (name) => (await chat(name)).status));
      expect(new Set(statuses)).toEqual(new Set([404]));
    }
    let rows = await dayRows();
    for (let i = 0; i < 100 && rows.reduce((n, r) => n + r.requests, 0) < 2_001; i++) {
      await new Promise((r) => setTimeout(r, 20));
      rows = await dayRows();
    }
    expect(rows).toEqual([
      { key: 'default', model: 'ollama/phi4', requests: 1, prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      { key: 'default', model: 'other', requests: 2_000, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    ]);
    const dashboard = await fetch(`${router.url}/ui/api/usage`, { headers: auth });
    expect(dashboard.status).toBe(200);
    expect((await dashboard.text()).length).toBeLessThan(5_000);
  }, 60_000);
});
