import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import { MAX_EVENT_SIZE } from '../src/backends/sse-event-reader';
import { FakeUpstream, chunk } from './fake-upstream';
import { anthropicEvents } from './messages-sse';
import { auth, backend, ROUTER_KEY, startRouter, type RunningRouter } from './router-harness';

// Issue 19, findings 7 and 8. A backend that never ends an event must not grow the router's memory
// without bound, nor stream to the client for ever: the event is capped and the client's stream ends with a clear error in its dialect.
// And an event stream with whitespace the JSON allows is relayed as it came on the plain chat path.

const SENT_LIMIT = 48 << 20;

/** An event stream whose one event never ends: `data:` lines of 64 KB, with backpressure, until cut or SENT_LIMIT. */
async function neverEndingEvent(res: ServerResponse, sent: { bytes: number }, opening = ''): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(`data: ${JSON.stringify(chunk('m', 'Hi'))}\n\n${opening}`);
  const line = `data: ${'x'.repeat(64 * 1024)}\n`;
  while (!res.destroyed && sent.bytes < SENT_LIMIT) {
    sent.bytes += line.length;
    if (!res.write(line)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
  if (!res.destroyed) res.end('\n');
}

describe('relay limits', () => {
  let up: FakeUpstream;
  let router: RunningRouter;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    router = await startRouter({ backends: [backend('chat', up.url, { retries: 0 })] });
  });
  afterAll(async () => {
    await router?.close();
    await up?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
    fetch(`${router.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('ends a bridged Responses stream whose event never ends with response.failed, and stops reading the backend', async () => {
    const sent = { bytes: 0 };
    up.handle((_req, res) => neverEndingEvent(res, sent));
    const res = await post('/v1/responses', { model: 'chat/m', input: 'hi', stream: true });
    const text = await res.text();
    const failed = text.split('\n').find((l) => l.startsWith('data: ') && l.includes('"response.failed"'));
    expect(failed).toBeDefined();
    expect(JSON.parse(failed!.slice(6)).response.error.message).toMatch(/event larger than/);
    expect(text).toContain('"type":"response.output_text.delta"');
    expect(sent.bytes).toBeLessThan(SENT_LIMIT);
    expect((await fetch(`${router.url}/health/live`)).status).toBe(200);
  });

  it('ends a bridged Anthropic stream whose event never ends with an error event', async () => {
    const sent = { bytes: 0 };
    up.handle((_req, res) => neverEndingEvent(res, sent));
    const res = await post('/v1/messages', { model: 'chat/m', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': ROUTER_KEY });
    const events = anthropicEvents(await res.text());
    expect(events.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: 'api_error', message: expect.stringMatching(/event larger than/) } } });
    expect(sent.bytes).toBeLessThan(SENT_LIMIT);
  });

  it('ends a plain chat stream whose event never ends with an OpenAI error chunk, after the whole events before it', async () => {
    const sent = { bytes: 0 };
    // A JSON value opened on the event's first data line, continued on data lines that never end the event.
    up.handle((_req, res) => neverEndingEvent(res, sent, 'data: {"choices":[{"index":0,"delta":{"content":\n'));
    const res = await post('/v1/chat/completions', { model: 'chat/m', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const text = await res.text();
    const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
    expect(JSON.parse(events[0].slice(6)).choices[0].delta.content).toBe('Hi');
    expect(JSON.parse(events.at(-1)!.slice(6)).error.message).toMatch(/event larger than the router accepts/);
    // Lines are relayed as they come, so the client got the oversize event's head, no more than the cap.
    expect(text.length).toBeLessThan(MAX_EVENT_SIZE + 64 * 1024 + 4096);
    expect(sent.bytes).toBeLessThan(SENT_LIMIT);
    expect((await fetch(`${router.url}/health/live`)).status).toBe(200);
  });

  it('relays an event stream with whitespace inside and around its JSON byte for byte', async () => {
    const body =
      'data:  {"id":"x" , "object":"chat.completion.chunk", "choices" : [ {"index":0,"delta":{"content":"Hi"},"finish_reason":null} ] }\n\n' +
      'data:\t{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
      'data: [DONE]\n\n';
    up.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(body);
    });
    const res = await post('/v1/chat/completions', { model: 'chat/m', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(await res.text()).toBe(body);
  });
});
