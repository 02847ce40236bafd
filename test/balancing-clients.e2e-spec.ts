import type { ServerResponse } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { chunk, completion, FakeUpstream, json, type Handler } from './fake-upstream';
import { ROUTER_KEY, startRouter, type RunningRouter } from './router-harness';
import { chatBody, post, sleep, waitFor } from './reliability-support';

// Pools as real clients meet them: the session key each front door carries (Responses, Messages, Codex's
// headers) keeps a session on one member; two replicas agree on it; a member that hangs or fails at once
// is left for another within the request.

const member = (name: string, url: string, extra: Record<string, unknown> = {}) => ({ name, base_url: url, prefix: 'ollama/', ...extra });

describe('pools with real clients and misbehaving members', () => {
  const fakes: FakeUpstream[] = [];
  const routers: RunningRouter[] = [];

  beforeEach(async () => {
    for (let i = 0; i < 3; i++) fakes.push(await FakeUpstream.start());
  });
  afterEach(async () => {
    await Promise.all(routers.splice(0).map((r) => r.close()));
    await Promise.all(fakes.splice(0).map((f) => f.close().catch(() => undefined)));
  });

  // round_robin: without affinity, consecutive requests would visit every member.
  const pool = (extra: Record<string, unknown> = {}) => ({
    backends: ['a', 'b', 'c'].map((n, i) => member(n, fakes[i].url, extra)),
    load_balancing: { strategy: 'round_robin' },
  });

  it('keeps a session on one member through each front door: Responses, Messages, Codex headers', async () => {
    const router = await startRouter(pool());
    routers.push(router);
    const openai = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: router.url, apiKey: ROUTER_KEY, maxRetries: 0 });
    const message = { model: 'ollama/qwen3', max_tokens: 16, messages: [{ role: 'user' as const, content: 'hi' }] };

    const sessions: Record<string, () => Promise<string | null>> = {
      'Responses prompt_cache_key (Codex, AI SDK)': async () =>
        (await openai.responses.create({ model: 'ollama/qwen3', input: 'hi', prompt_cache_key: 'codex-thread-1', store: false }).withResponse()).response.headers.get('x-llmrouter-backend'),
      "Codex's session_id header": async () =>
        (await openai.chat.completions.create({ model: 'ollama/qwen3', messages: [{ role: 'user', content: 'hi' }] }, { headers: { session_id: 'codex-2' } }).withResponse()).response.headers.get('x-llmrouter-backend'),
      'Claude Code metadata.user_id': async () =>
        (await anthropic.messages.create({ ...message, metadata: { user_id: 'user_abc_account_x_session_42' } }).withResponse()).response.headers.get('x-llmrouter-backend'),
      'Claude Code x-claude-code-session-id': async () =>
        (await anthropic.messages.create(message, { headers: { 'x-claude-code-session-id': 'cc-7' } }).withResponse()).response.headers.get('x-llmrouter-backend'),
    };
    for (const [what, send] of Object.entries(sessions)) {
      const served = new Set<string | null>();
      for (let i = 0; i < 6; i++) served.add(await send());
      expect({ what, served: [...served] }).toEqual({ what, served: [expect.stringMatching(/^[abc]$/)] });
    }
  });

  it('takes odd session keys in its stride: a lone surrogate, a 4 MB user field, a key of the wrong type', async () => {
    const router = await startRouter(pool());
    routers.push(router);
    const raw = async (json: string) => {
      const res = await fetch(`${router.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ROUTER_KEY}`, 'content-type': 'application/json' }, body: json });
      await res.text();
      return [res.status, res.headers.get('x-llmrouter-backend')];
    };
    const surrogate = '{"model":"ollama/qwen3","messages":[{"role":"user","content":"hi"}],"prompt_cache_key":"\\ud800 agent"}';
    const huge = JSON.stringify(chatBody('ollama/qwen3', false, { user: 'u'.repeat(4 * 1024 * 1024) }));
    const wrongType = JSON.stringify(chatBody('ollama/qwen3', false, { prompt_cache_key: { nested: [1, 2] } }));
    for (const body of [surrogate, huge]) {
      const first = await raw(body);
      expect(first[0]).toBe(200);
      for (let i = 0; i < 3; i++) expect(await raw(body)).toEqual(first);
    }
    // Not a key: balanced by the strategy (round_robin visits every member).
    const served = new Set<unknown>();
    for (let i = 0; i < 6; i++) served.add((await raw(wrongType))[1]);
    expect(served.size).toBe(3);
  });

  it('two router replicas with the same pool send every session to the same member', async () => {
    const one = await startRouter(pool());
    const two = await startRouter(pool());
    routers.push(one, two);
    const homes = new Set<string>();
    for (let i = 0; i < 18; i++) {
      const body = chatBody('ollama/qwen3', false, { prompt_cache_key: `agent-${i}` });
      const [r1, r2] = [await post(one.url, body), await post(two.url, body)];
      expect(r1.status).toBe(200);
      expect(r2.headers.get('x-llmrouter-backend')).toBe(r1.headers.get('x-llmrouter-backend'));
      homes.add(r1.headers.get('x-llmrouter-backend')!);
    }
    expect(homes.size).toBeGreaterThan(1);
  });

  it('a member that hangs before answering is left at its timeout_ms for another; its circuit then keeps it out', async () => {
    const held: ServerResponse[] = [];
    fakes[0].handle((_req, res) => void held.push(res));
    const router = await startRouter({
      backends: [member('hung', fakes[0].url, { timeout_ms: 300, retries: 0, circuit_failures: 2 }), member('ok', fakes[1].url)],
      load_balancing: { strategy: 'round_robin', session_affinity: false },
    });
    routers.push(router);
    for (let i = 0; i < 6; i++) {
      const res = await post(router.url, chatBody('ollama/qwen3'));
      expect(res.status).toBe(200);
      expect(res.headers.get('x-llmrouter-backend')).toBe('ok');
    }
    expect(fakes[0].requests).toHaveLength(2);
    held.forEach((res) => res.destroy());
  });

  it('latency: a member that answers 429 at once is not taken for the fastest', async () => {
    fakes[0].handle((_req, res) => json(res, 429, { error: { message: 'busy' } }));
    fakes[1].handle(async (req, res) => {
      await sleep(30);
      json(res, 200, { id: 'x', object: 'chat.completion', created: 1, model: req.body.model, choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] });
    });
    const router = await startRouter({
      backends: [member('liar', fakes[0].url, { retries: 0, circuit_failures: 1000 }), member('honest', fakes[1].url)],
      load_balancing: { strategy: 'latency' },
    });
    routers.push(router);
    for (let i = 0; i < 10; i++) {
      const res = await post(router.url, chatBody('ollama/qwen3'));
      expect(res.status).toBe(200);
      expect(res.headers.get('x-llmrouter-backend')).toBe('honest');
    }
    // Tried once while unmeasured; its instant 429 then counts as slow, not fast.
    expect(fakes[0].requests.length).toBeLessThanOrEqual(1);
  });

  it('a client that leaves while waiting, or mid-stream, gives its place up: the slot serves the next request', async () => {
    const held: ServerResponse[] = [];
    const holdStreams: Handler = (req, res) => {
      if (!req.body.stream) return json(res, 200, completion(req.body.model, 'hi'));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk(req.body.model, 'hi'))}\n\n`);
      held.push(res);
    };
    fakes[0].handle(holdStreams);
    fakes[1].handle(holdStreams);
    const router = await startRouter({
      backends: [member('a', fakes[0].url, { max_concurrent: 1 }), member('b', fakes[1].url, { max_concurrent: 1 })],
    });
    routers.push(router);
    const metrics = () => fetch(`${router.url}/metrics`, { headers: { authorization: `Bearer ${ROUTER_KEY}` } }).then((r) => r.text());
    const open = (controller: AbortController) =>
      fetch(`${router.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ROUTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(chatBody('ollama/qwen3', true)),
        signal: controller.signal,
      }).then((r) => r.text()).catch(() => 'left');
    const leavers = [new AbortController(), new AbortController()];
    const streams = leavers.map(open);
    await waitFor(() => held.length === 2, 'both members to hold a stream');

    const waiter = new AbortController();
    const waiting = open(waiter);
    let text = '';
    for (let i = 0; i < 300 && !/llmrouter_pool_waiting\{pool="ollama\/"\} 1/.test(text); i++) text = await metrics();
    expect(text).toMatch(/llmrouter_pool_waiting\{pool="ollama\/"\} 1/);
    waiter.abort();
    expect(await waiting).toBe('left');
    for (let i = 0; i < 300 && !/llmrouter_pool_waiting\{pool="ollama\/"\} 0/.test(text); i++) text = await metrics();
    expect(text).toMatch(/llmrouter_pool_waiting\{pool="ollama\/"\} 0/);

    leavers[0].abort();
    await streams[0];
    for (let i = 0; i < 300 && !/_in_flight\{pool="ollama\/",backend="[ab]"\} 0/.test(text); i++) text = await metrics();
    const res = await post(router.url, chatBody('ollama/qwen3'));
    expect(res.status).toBe(200);
    held.forEach((r) => r.destroy());
    await streams[1];
  });
});
