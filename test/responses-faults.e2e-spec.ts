import OpenAI from 'openai';
import { FakeUpstream, json } from './fake-upstream';
import { backend, ROUTER_KEY, startRouter, type RunningRouter } from './router-harness';
import { chatRequests, scriptChat } from './responses-upstream';

// Bridged Responses requests get the same reliability as chat: errors before the first byte keep the
// backend's status as OpenAI JSON, retries happen before anything is sent, slow starts get keep-alive
// comments, and a backend that goes silent mid-stream ends the stream with response.failed.

describe('Responses bridge: faults', () => {
  let up: FakeUpstream;
  let router: RunningRouter;
  let client: OpenAI;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    router = await startRouter({
      aliases: { steady: ['dead/m', 'ollama/m'] },
      backends: [
        backend('ollama', up.url, { default: true, retries: 1, max_retry_delay_ms: 20, keepalive_ms: 40, stream_idle_timeout_ms: 300 }),
        backend('dead', 'http://127.0.0.1:9/v1', { retries: 0 }),
      ],
    });
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await router?.close();
    await up?.close();
  });
  beforeEach(() => {
    up.requests.length = 0;
    up.aborted.length = 0;
  });

  it('answers a backend error before the first byte as OpenAI JSON with the backend status', async () => {
    up.handle((_req, res) => json(res, 400, { error: { message: 'This model maximum context length is 8192 tokens.', type: 'invalid_request_error' } }));
    const error = await client.responses.create({ model: 'ollama/m', input: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toContain('maximum context length');
  });

  it('retries a failed attempt before anything reached the client', async () => {
    let calls = 0;
    up.handle((req, res) => {
      if (calls++ === 0) return json(res, 503, { error: { message: 'loading model' } });
      return json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: req.body.model, choices: [{ index: 0, message: { role: 'assistant', content: 'Second try.' }, finish_reason: 'stop' }] });
    });
    const response = await client.responses.create({ model: 'ollama/m', input: 'x' });
    expect(response.output_text).toBe('Second try.');
    expect(chatRequests(up)).toHaveLength(2);
  });

  it('falls back to the next target of an alias when the first is unreachable', async () => {
    scriptChat(up, [{ text: 'From the fallback.' }]);
    const stream = client.responses.stream({ model: 'steady', input: 'x' });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('From the fallback.');
    expect(final.model).toBe('steady');
  });

  it('aborts the backend request when the client leaves mid-stream', async () => {
    up.handle(async (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 200 && !res.destroyed; i++) {
        res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: req.body.model, choices: [{ index: 0, delta: { content: `w${i} ` }, finish_reason: null }] })}\n\n`);
        await new Promise((r) => setTimeout(r, 20));
      }
      res.end();
    });
    const abort = new AbortController();
    const res = await fetch(`${router.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${ROUTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'ollama/m', input: 'x', stream: true }), signal: abort.signal });
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('response.output_text.delta')) seen += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    for (let i = 0; i < 100 && up.aborted.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(up.aborted).toHaveLength(1);
  });

  it('keeps a slow-starting stream alive with comments the SDK ignores', async () => {
    scriptChat(up, [{ text: 'Finally.' }], 150);
    const raw = await fetch(`${router.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${ROUTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'ollama/m', input: 'x', stream: true }) });
    const text = await raw.text();
    expect(text.startsWith(': keep-alive\n\n')).toBe(true);
    expect(text.trimEnd().split('\n\n').pop()).toContain('"type":"response.completed"');
    const stream = client.responses.stream({ model: 'ollama/m', input: 'x' });
    expect((await stream.finalResponse()).output_text).toBe('Finally.');
  });

  it('ends with response.failed when the backend goes silent mid-stream (stream_idle_timeout_ms)', async () => {
    up.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: req.body.model, choices: [{ index: 0, delta: { content: 'Hal' }, finish_reason: null }] })}\n\n`);
      // then nothing, and the connection stays open
    });
    const stream = client.responses.stream({ model: 'ollama/m', input: 'x' });
    const types: string[] = [];
    const failure = await (async () => {
      for await (const event of stream) types.push(event.type);
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(types).toContain('response.output_text.delta');
    expect(types[types.length - 1]).toBe('response.failed');
  });
});
