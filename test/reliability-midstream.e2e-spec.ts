import { Logger } from '@nestjs/common';
import type { Response } from 'express';
import OpenAI from 'openai';
import { RequestEventsService } from '../src/common/request-events.service';
import type { RequestOutcome, RouterRequest } from '../src/common/proxy-context';
import { chunk, FakeUpstream } from './fake-upstream';
import { backend, ROUTER_KEY, startRouter, type RunningRouter } from './router-harness';
import { chatBody, post, sseData, waitFor } from './reliability-support';

// A stream that already started cannot change its status: when the upstream fails midway, the client
// must get a final SSE error event (so SDKs raise) and the failure must be logged with the backend.

describe('failing cleanly mid-stream', () => {
  let fake: FakeUpstream;
  let router: RunningRouter;
  let client: OpenAI;
  const outcomes: RequestOutcome[] = [];
  const warnings: string[] = [];
  let warnSpy: jest.SpyInstance;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    router = await startRouter({
      backend_defaults: { retries: 1, circuit_failures: 1000 },
      backends: [backend('local', fake.url)],
    });
    router.app.get(RequestEventsService).onRequestEnd((req: RouterRequest, _res: Response) => {
      if (req.llmrouter) outcomes.push(req.llmrouter.outcome);
    });
    warnSpy = jest.spyOn(Logger.prototype, 'warn').mockImplementation(function (this: Logger, message: unknown) {
      warnings.push(typeof message === 'string' ? message : JSON.stringify(message));
    });
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    warnSpy.mockRestore();
    await router.close();
    await fake.close();
  });

  const firstEvent = `data: ${JSON.stringify(chunk('m', 'Hello'))}\n\n`;
  const faults: Array<[string, string, (res: import('node:http').ServerResponse) => void]> = [
    ['resets the connection', 'stream_reset', (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(firstEvent, () => setTimeout(() => res.socket?.resetAndDestroy(), 20));
    }],
    ['closes early without [DONE]', 'stream_truncated', (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(firstEvent);
    }],
    ['sends garbage bytes', 'stream_garbage', (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(firstEvent);
      setTimeout(() => res.end(Buffer.from([0xff, 0xfe, 0x00, 0x3c, 0x68, 0x74, 0x6d, 0x6c, 0x3e, 0x0a])), 20);
    }],
    ['sends a data event that is not JSON (a proxy error page), then carries on', 'stream_garbage', (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(firstEvent);
      setTimeout(() => res.write('data: <html><body><h1>502 Bad Gateway</h1></body></html>\n\n'), 20);
      setTimeout(() => res.end(`data: ${JSON.stringify(chunk('m', 'after'))}\n\ndata: [DONE]\n\n`), 40);
    }],
  ];

  it.each(faults)('when the upstream %s, the client gets the data so far then one final error event, and no retry is made', async (_name, kind, fault) => {
    fake.handle((req, res) => fault(res));
    const before = fake.requests.length;
    outcomes.length = 0;
    warnings.length = 0;
    const res = await post(router.url, chatBody('local/m', true));
    expect(res.status).toBe(200);
    const events = sseData(res.text);
    expect(events[0]).toContain('Hello');
    expect(events).not.toContain('[DONE]');
    const last = JSON.parse(events[events.length - 1]) as { error: { code: string; type: string; message: string } };
    expect(last.error).toMatchObject({ code: 'upstream_stream_error', type: 'api_error' });
    expect(last.error.message).toContain('"local"');
    // Data already reached the client: retrying would duplicate it.
    expect(fake.requests.length).toBe(before + 1);

    await waitFor(() => outcomes.length === 1, 'the request to end');
    expect(outcomes[0]).toMatchObject({ backend: 'local', errorCode: 'upstream_stream_error' });
    expect(outcomes[0].bytesRelayed).toBeGreaterThanOrEqual(firstEvent.length);
    expect(outcomes[0].upstreamErrors).toContain(kind);
    expect(warnings.some((w) => w.includes('"local"') && w.includes(`${outcomes[0].bytesRelayed} bytes relayed`))).toBe(true);
  });

  it.each(faults)('when the upstream %s, the openai SDK raises instead of hanging or reporting success', async (_name, _kind, fault) => {
    fake.handle((req, res) => fault(res));
    const stream = await client.chat.completions.create({ model: 'local/m', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const received: string[] = [];
    const read = async () => {
      for await (const c of stream) received.push(c.choices[0]?.delta?.content ?? '');
    };
    await expect(read()).rejects.toThrow(/"local"/);
    expect(received).toEqual(['Hello']);
  });

  it('stops the upstream request at a non-JSON data event, and relays the events of the same read that came before it', async () => {
    fake.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // One write: the sound event and the fault arrive in the same chunk.
      res.write(`${firstEvent}data: <html>502 Bad Gateway</html>\n\n`);
      const more = setInterval(() => res.write(`data: ${JSON.stringify(chunk('m', 'later'))}\n\n`), 20);
      res.on('close', () => clearInterval(more));
    });
    const abortedBefore = fake.aborted.length;
    const res = await post(router.url, chatBody('local/m', true));
    const events = sseData(res.text);
    expect(events[0]).toContain('Hello');
    expect(res.text).not.toContain('later');
    expect(res.text).not.toContain('<html>');
    expect(JSON.parse(events[events.length - 1]).error.code).toBe('upstream_stream_error');
    await waitFor(() => fake.aborted.length === abortedBefore + 1, 'the upstream request to be aborted');
  });

  it('relays [DONE], SSE comments and multi-line data events untouched', async () => {
    const body = `: keep-alive\n\n${firstEvent}data: {"id":"x","choices":\ndata: []}\n\ndata: [DONE]\n\n`;
    fake.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(body);
    });
    const res = await post(router.url, chatBody('local/m', true));
    expect(res.text).toBe(body);
  });

  it('cuts a non-streaming JSON answer that breaks midway off, so the client cannot take it for a whole one', async () => {
    fake.handle((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id":"chatcmpl-1","choices":[', () => setTimeout(() => res.socket?.resetAndDestroy(), 20));
    });
    await expect(client.chat.completions.create({ model: 'local/m', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow();
  });
});
