import { FakeUpstream } from './fake-upstream';
import { auth, startRouter, type RunningRouter } from './router-harness';
import { chatRequests } from './responses-upstream';

// A bridged request's reasoning effort reaches only backends whose config says they take it
// (`"reasoning_effort": true`), decided per pool member: one pool may mix a vLLM that takes it with an
// Ollama that refuses it.

describe('bridges: reasoning effort per backend, per pool member', () => {
  let takes: FakeUpstream;
  let refuses: FakeUpstream;
  let router: RunningRouter;

  beforeAll(async () => {
    takes = await FakeUpstream.start();
    refuses = await FakeUpstream.start();
    router = await startRouter({
      backends: [
        { name: 'vllm', base_url: takes.url, prefix: 'local/', reasoning_effort: true },
        { name: 'ollama', base_url: refuses.url, prefix: 'local/', reasoning_effort: false },
      ],
      load_balancing: { strategy: 'round_robin', session_affinity: false },
    });
  });
  afterAll(async () => {
    await router?.close();
    await takes?.close();
    await refuses?.close();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${router.url}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('Messages output_config.effort and Responses reasoning.effort: to the member that takes it, never to the other', async () => {
    // round_robin: four of each kind alternate over the two members, so each gets two of each.
    for (let i = 0; i < 4; i++) {
      const messages = await post('/v1/messages', { model: 'local/qwen3', max_tokens: 64, output_config: { effort: 'high' }, messages: [{ role: 'user', content: 'hi' }] });
      expect(messages.status).toBe(200);
    }
    for (let i = 0; i < 4; i++) {
      const responses = await post('/v1/responses', { model: 'local/qwen3', input: 'hi', reasoning: { effort: 'low' }, store: false });
      expect(responses.status).toBe(200);
    }
    const efforts = (fake: FakeUpstream) => chatRequests(fake).map((r) => r.body.reasoning_effort);
    expect(efforts(takes).sort()).toEqual(['high', 'high', 'low', 'low']);
    expect(efforts(refuses)).toEqual([undefined, undefined, undefined, undefined]);
  });
});
