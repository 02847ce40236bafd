import type { ServerResponse } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { chunk, completion, FakeUpstream, json, type Handler } from './fake-upstream';
import { ROUTER_KEY, startRouter, type RunningRouter } from './router-harness';
import { chatBody, post, refusedUrl, sleep, waitFor } from './reliability-support';

// Several backends behind one prefix: how the strategies spread requests, failover between members,
// max_concurrent and its bounded wait, and each member's own settings on the requests it serves.

const member = (name: string, url: string, extra: Record<string, unknown> = {}) => ({ name, base_url: url, prefix: 'ollama/', ...extra });

/** Answers after `delayMs`, naming itself in the answer. */
const slowAnswer = (delayMs: number): Handler => async (req, res) => {
  await sleep(delayMs);
  json(res, 200, completion(req.body.model, 'hi'));
};

/** `total` requests from `concurrency` clients at once; returns the member that answered each. */
async function load(url: string, total: number, concurrency: number, body = chatBody('ollama/qwen3')): Promise<string[]> {
  const answeredBy: string[] = [];
  let next = 0;
  const client = async () => {
    while (next < total) {
      next++;
      const res = await post(url, body);
      expect(res.status).toBe(200);
      answeredBy.push(res.headers.get('x-llmrouter-backend') ?? '?');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return answeredBy;
}

const count = (names: string[], name: string) => names.filter((n) => n === name).length;

describe('load balancing over a pool', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let router: RunningRouter | undefined;

  beforeEach(async () => {
    a = await FakeUpstream.start();
    b = await FakeUpstream.start();
  });
  afterEach(async () => {
    await router?.close();
    router = undefined;
    await a.close();
    await b.close();
  });

  it('least_busy: a slow member gets fewer requests than a fast one', async () => {
    a.handle(slowAnswer(250));
    b.handle(slowAnswer(5));
    router = await startRouter({ backends: [member('slow', a.url), member('fast', b.url)], load_balancing: { strategy: 'least_busy' } });
    const answeredBy = await load(router.url, 60, 6);
    expect(count(answeredBy, 'slow') + count(answeredBy, 'fast')).toBe(60);
    expect(count(answeredBy, 'slow')).toBeLessThan(count(answeredBy, 'fast') / 2);
  });

  it('round_robin: weights 3:1 shape the split within a tolerance', async () => {
    router = await startRouter({
      backends: [member('big', a.url, { weight: 3 }), member('small', b.url)],
      load_balancing: { strategy: 'round_robin', session_affinity: false },
    });
    const answeredBy = await load(router.url, 80, 4);
    expect(Math.abs(count(answeredBy, 'big') - 60)).toBeLessThanOrEqual(4);
    expect(a.requests).toHaveLength(count(answeredBy, 'big'));
    expect(b.requests).toHaveLength(count(answeredBy, 'small'));
  });

  it('latency: traffic moves to the member with the lower time to first byte', async () => {
    a.handle(slowAnswer(120));
    b.handle(slowAnswer(2));
    router = await startRouter({ backends: [member('far', a.url), member('near', b.url)], load_balancing: { strategy: 'latency' } });
    const answeredBy = await load(router.url, 30, 1);
    // Each is measured once (the unmeasured are tried first); then the nearer one takes the rest.
    expect(count(answeredBy, 'far')).toBeLessThanOrEqual(2);
    expect(answeredBy.slice(2).every((n) => n === 'near')).toBe(true);
  });

  it('a refused connection fails over to another member within the request: the client sees no error', async () => {
    router = await startRouter({
      backends: [member('down', await refusedUrl()), member('up', a.url)],
      load_balancing: { strategy: 'round_robin' },
    });
    const answeredBy = await load(router.url, 10, 2);
    expect(answeredBy.every((n) => n === 'up')).toBe(true);
    const metrics = await (await fetch(`${router.url}/metrics`, { headers: { authorization: `Bearer ${ROUTER_KEY}` } })).text();
    expect(metrics).toMatch(/llmrouter_pool_member_failed_over_total\{pool="ollama\/",backend="down"\} [1-9]/);
    expect(metrics).toMatch(/llmrouter_pool_member_chosen_total\{pool="ollama\/",backend="up"\} 1\d/);
  });

  it('a 5xx from one member goes to the other before any alias fallback', async () => {
    a.handle((req, res) => json(res, 503, { error: { message: 'loading model' } }));
    const fallback = await FakeUpstream.start();
    try {
      router = await startRouter({
        aliases: { coder: ['ollama/qwen3', 'cloud/qwen3'] },
        backends: [member('a', a.url, { retries: 0 }), member('b', b.url, { retries: 0 }), { name: 'cloud', base_url: fallback.url, prefix: 'cloud/' }],
        load_balancing: { strategy: 'round_robin' },
      });
      const answeredBy = await load(router.url, 6, 1, chatBody('coder'));
      expect(answeredBy.every((n) => n === 'b')).toBe(true);
      expect(fallback.requests).toHaveLength(0);
    } finally {
      await fallback.close();
    }
  });

  it("applies each member's own key, role rewrites and unsupported params to the requests it serves", async () => {
    router = await startRouter(
      {
        backends: [
          member('a', a.url, { key_env_var: 'KEY_A', role_rewrites: { developer: 'system' }, unsupported_params: ['temperature'] }),
          member('b', b.url, { key_env_var: 'KEY_B' }),
        ],
        load_balancing: { strategy: 'round_robin', session_affinity: false },
      },
      { KEY_A: 'key-of-a', KEY_B: 'key-of-b' },
    );
    const body = { model: 'ollama/qwen3', temperature: 0.2, messages: [{ role: 'developer', content: 'be brief' }, { role: 'user', content: 'hi' }] };
    for (let i = 0; i < 4; i++) expect((await post(router.url, body)).status).toBe(200);
    expect(a.requests).toHaveLength(2);
    expect(b.requests).toHaveLength(2);
    for (const r of a.requests) {
      expect(r.headers.authorization).toBe('Bearer key-of-a');
      expect(r.body.messages[0].role).toBe('system');
      expect(r.body).not.toHaveProperty('temperature');
      expect(r.body.model).toBe('qwen3');
    }
    for (const r of b.requests) {
      expect(r.headers.authorization).toBe('Bearer key-of-b');
      expect(r.body.messages[0].role).toBe('developer');
      expect(r.body.temperature).toBe(0.2);
    }
  });

  describe('max_concurrent', () => {
    const held: ServerResponse[] = [];
    /** Streams one chunk and holds the stream open until released. */
    const holdStreams: Handler = (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(chunk(req.body.model, 'hi'))}\n\n`);
      held.push(res);
    };
    const releaseOne = () => held.shift()!.end('data: [DONE]\n\n');
    afterEach(() => {
      while (held.length > 0) releaseOne();
    });

    async function fullPool(waitMs: number): Promise<Promise<unknown>[]> {
      a.handle(holdStreams);
      b.handle(holdStreams);
      router = await startRouter({
        backends: [member('a', a.url, { max_concurrent: 1, connect_timeout_ms: waitMs }), member('b', b.url, { max_concurrent: 1, connect_timeout_ms: waitMs })],
      });
      const streams = [0, 1].map(() => fetch(`${router!.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ROUTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(chatBody('ollama/qwen3', true)),
      }).then((r) => r.text()));
      await waitFor(() => held.length === 2, 'both members to hold a stream');
      return streams;
    }

    it('caps each member; the bounded wait ends in a 503 in the OpenAI dialect', async () => {
      const streams = await fullPool(300);
      expect(a.requests).toHaveLength(1);
      expect(b.requests).toHaveLength(1);
      const openai = new OpenAI({ baseURL: `${router!.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
      const error = await openai.chat.completions.create({ model: 'ollama/qwen3', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('backend_pool_full');
      expect((error as Error).message).toMatch(/max_concurrent/);
      expect(a.requests.length + b.requests.length).toBe(2);
      releaseOne();
      releaseOne();
      await Promise.all(streams);
    });

    it('the bounded wait ends in a 503 in the Anthropic dialect for /v1/messages', async () => {
      const streams = await fullPool(300);
      const anthropic = new Anthropic({ baseURL: router!.url, apiKey: ROUTER_KEY, maxRetries: 0 });
      const error = await anthropic.messages.create({ model: 'ollama/qwen3', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.APIError);
      expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(503);
      expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { message: expect.stringMatching(/max_concurrent/) } });
      releaseOne();
      releaseOne();
      await Promise.all(streams);
    });

    it('a waiting request takes the slot that frees, and is counted while it waits', async () => {
      const streams = await fullPool(10_000);
      const waiting = post(router!.url, chatBody('ollama/qwen3', true));
      const metrics = () => fetch(`${router!.url}/metrics`, { headers: { authorization: `Bearer ${ROUTER_KEY}` } }).then((r) => r.text());
      let text = '';
      for (let i = 0; i < 300 && !/llmrouter_pool_waiting\{pool="ollama\/"\} 1/.test(text); i++) {
        text = await metrics();
        await sleep(10);
      }
      expect(text).toMatch(/llmrouter_pool_waiting\{pool="ollama\/"\} 1/);
      expect(text).toMatch(/llmrouter_pool_member_in_flight\{pool="ollama\/",backend="a"\} 1/);
      releaseOne();
      await waitFor(() => held.length === 2, 'the waiting request to reach the freed member');
      releaseOne();
      releaseOne();
      expect((await waiting).status).toBe(200);
      await Promise.all(streams);
    });
  });
});
