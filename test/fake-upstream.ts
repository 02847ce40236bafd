import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// A fake OpenAI-compatible backend on 127.0.0.1 that records every request it receives. Each test
// scripts its answers with `handle`; the default answers chat completions, SSE streams and /models.

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  rawBody: string;
  body: any;
}

export type Handler = (req: RecordedRequest, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

export class FakeUpstream {
  readonly requests: RecordedRequest[] = [];
  /** Requests whose client (the router) went away before the answer was finished. */
  readonly aborted: RecordedRequest[] = [];
  models: string[] = ['model-a', 'model-b'];
  private handler: Handler | undefined;
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  url = '';

  static async start(): Promise<FakeUpstream> {
    const fake = new FakeUpstream();
    await fake.listen();
    return fake;
  }

  /** Answer the next requests with this handler (until replaced). */
  handle(handler: Handler | undefined): void {
    this.handler = handler;
  }

  get last(): RecordedRequest {
    const last = this.requests[this.requests.length - 1];
    if (!last) throw new Error('the fake upstream received no request');
    return last;
  }

  /** Listens again on the same port after `close()` (a box that went down and came back). */
  reopen(): Promise<void> {
    return this.listen(Number(new URL(this.url).port));
  }

  private listen(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return new Promise((resolve) => {
      this.server.listen(port, '127.0.0.1', () => {
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
        resolve();
      });
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: any;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody, body };
    this.requests.push(recorded);
    res.on('close', () => {
      if (!res.writableFinished) this.aborted.push(recorded);
    });
    if (this.handler) return this.handler(recorded, res, req);
    defaultAnswer(this, recorded, res);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function defaultAnswer(fake: FakeUpstream, req: RecordedRequest, res: ServerResponse): void {
  if (req.method === 'GET' && req.path.endsWith('/models')) {
    json(res, 200, { object: 'list', data: fake.models.map((id) => ({ id, object: 'model', created: 1, owned_by: 'fake' })) });
    return;
  }
  if (req.body?.stream) {
    sse(res, [chunk(req.body.model, 'Hel'), chunk(req.body.model, 'lo')]);
    return;
  }
  json(res, 200, completion(req.body?.model ?? 'unknown', 'Hello'));
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function completion(model: string, content: string) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  };
}

export function chunk(model: string, content: string, extra: Record<string, unknown> = {}) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
    ...extra,
  };
}

/** Sends SSE events then [DONE]; `delayMs` apart when given. */
export async function sse(res: ServerResponse, events: unknown[], delayMs = 0, done = true): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const e of events) {
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify(e)}\n\n`);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
  }
  if (done) res.end('data: [DONE]\n\n');
  else res.end();
}
