import type { ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { chunk, FakeUpstream, RecordedRequest } from './fake-upstream';
import { auth, backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// Streams go through chunk by chunk: the upstream here sends its first event and then waits for the
// test to say "go", so the only way the client can see that event is if the router did not buffer it.

/** A gate the test opens; the fake upstream waits on it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Waits (bounded) until `check` holds. */
async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const event = (e: unknown) => `data: ${JSON.stringify(e)}\n\n`;

describe('core: streaming', () => {
  let upstream: FakeUpstream;
  let router: RunningRouter;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    router = await startRouter({ backends: [backend('ollama', upstream.url, { default: true })] });
  });

  afterEach(() => upstream.handle(undefined));

  afterAll(async () => {
    await router?.close();
    await upstream?.close();
  });

  const streamRequest = (signal?: AbortSignal) =>
    fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'ollama/llama3.2', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
      signal,
    });

  /** Upstream that sends `first`, waits for the gate, then sends `rest`. */
  function gatedUpstream(first: string, rest: string[]) {
    const g = gate();
    const closed: RecordedRequest[] = [];
    upstream.handle(async (req, res: ServerResponse) => {
      res.on('close', () => closed.push(req));
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-ratelimit-remaining-requests': '99' });
      res.write(first);
      await Promise.race([g.opened, new Promise((r) => res.on('close', r))]);
      for (const part of rest) if (!res.destroyed) res.write(part);
      if (!res.destroyed) res.end();
    });
    return { ...g, closed };
  }

  it('delivers the first chunk while the upstream is still sending, then the rest byte for byte', async () => {
    const first = event(chunk('llama3.2', 'Hel'));
    const rest = [event(chunk('llama3.2', 'lo 👋')), ': comment kept\n\n', 'data: [DONE]\n\n'];
    const g = gatedUpstream(first, rest);
    const res = await streamRequest();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-llmrouter-backend')).toBe('ollama');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('99');
    expect(res.headers.get('content-encoding')).toBeNull();

    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    // The gate is still closed: everything read here was sent before the upstream finished.
    while (received.length < first.length) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended before the first event');
      received += decoder.decode(value, { stream: true });
    }
    expect(received).toBe(first);
    expect(upstream.aborted).toHaveLength(0);

    g.open();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    expect(received).toBe(first + rest.join(''));
  });

  it('streams to the openai SDK event by event', async () => {
    const g = gatedUpstream(event(chunk('llama3.2', 'first')), [event(chunk('llama3.2', ' second')), 'data: [DONE]\n\n']);
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'ollama/llama3.2',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const parts: string[] = [];
    for await (const part of stream) {
      parts.push(part.choices[0]?.delta?.content ?? '');
      // Only after the SDK has the first event may the upstream go on.
      if (parts.length === 1) g.open();
    }
    expect(parts).toEqual(['first', ' second']);
  });

  it('aborts the upstream request when the client leaves mid-stream', async () => {
    const g = gatedUpstream(event(chunk('llama3.2', 'Hel')), [event(chunk('llama3.2', 'lo')), 'data: [DONE]\n\n']);
    const controller = new AbortController();
    const res = await streamRequest(controller.signal);
    const reader = res.body!.getReader();
    await reader.read();
    const before = upstream.requests.length;
    controller.abort();
    await waitFor(() => g.closed.length === 1, 'the upstream request to close');
    expect(upstream.aborted).toContain(g.closed[0]);
    expect(upstream.requests.length).toBe(before);
    g.open();
  });

  it('aborts the upstream request when the client leaves before the upstream answered', async () => {
    const closed: RecordedRequest[] = [];
    const received: RecordedRequest[] = [];
    // Never answers: the only way this request ends is the router closing it.
    upstream.handle((req, res) => {
      received.push(req);
      res.on('close', () => closed.push(req));
    });
    const controller = new AbortController();
    const pending = streamRequest(controller.signal).catch((err: Error) => err);
    await waitFor(() => received.length === 1, 'the upstream to receive the request');
    controller.abort();
    expect(((await pending) as Error).name).toBe('AbortError');
    await waitFor(() => closed.length === 1, 'the upstream request to close');
    expect(upstream.aborted).toContain(received[0]);
  });

  it('aborts a non-streaming upstream request too when the client leaves while waiting', async () => {
    const closed: RecordedRequest[] = [];
    const received: RecordedRequest[] = [];
    upstream.handle((req, res) => {
      received.push(req);
      res.on('close', () => closed.push(req));
    });
    const controller = new AbortController();
    const pending = fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'Hi' }] }),
      signal: controller.signal,
    }).catch((err: Error) => err);
    await waitFor(() => received.length === 1, 'the upstream to receive the request');
    controller.abort();
    await pending;
    await waitFor(() => closed.length === 1, 'the upstream request to close');
    expect(upstream.aborted).toContain(received[0]);
  });
});
