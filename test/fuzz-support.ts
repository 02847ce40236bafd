import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { FakeUpstream } from './fake-upstream';
import { auth, backend, startRouter, type RunningRouter } from './router-harness';

// The router the fuzz tests hammer (a healthy fake upstream behind it, a team key besides the router key),
// and what every answer must look like.

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export const TEAM_KEY = 'team_fuzz_key_0123456789abcdef';

export class FuzzTarget {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });

  private constructor(
    private readonly router: RunningRouter,
    /** The backend behind the router; its handler may be replaced to answer with generated chunks. */
    readonly fake: FakeUpstream,
  ) {}

  static async start(): Promise<FuzzTarget> {
    const fake = await FakeUpstream.start();
    const router = await startRouter(
      {
        max_request_bytes: 2 * 1024 * 1024,
        api_keys: [{ name: 'team', key_env: 'FUZZ_TEAM_KEY' }],
        backend_defaults: { retries: 0 },
        aliases: { fast: ['local/a', 'local/b'] },
        backends: [backend('local', fake.url, { default: true, role_rewrites: { developer: 'system' }, unsupported_params: ['seed'] })],
      },
      { FUZZ_TEAM_KEY: TEAM_KEY },
    );
    return new FuzzTarget(router, fake);
  }

  get port(): number {
    return Number(new URL(this.router.url).port);
  }

  send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
    return new Promise((resolve, reject) => {
      // Explicit framing: Node sends a DELETE/OPTIONS body with neither content-length nor chunked otherwise.
      const framed = body ? { ...headers, 'content-length': String(body.length) } : headers;
      const req = request({ host: '127.0.0.1', port: this.port, method, path, headers: framed, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  post(body: Buffer | string, headers: Record<string, string> = {}, path = '/v1/chat/completions'): Promise<Answer> {
    return this.send('POST', path, { ...auth, 'content-type': 'application/json', ...headers }, Buffer.from(body));
  }

  async expectStillServing(): Promise<void> {
    const answer = await this.post(JSON.stringify({ model: 'local/m', messages: [{ role: 'user', content: 'still there?' }] }));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString()).choices[0].message.content).toBe('Hello');
  }

  async close(): Promise<void> {
    this.agent.destroy();
    await this.router.close();
    await this.fake.close();
  }
}

/**
 * The router's own answers: an error below 500 in the caller's dialect (Anthropic's on /v1/messages,
 * OpenAI's elsewhere), or whatever the (healthy) fake upstream said.
 */
export function expectWellFormed(answer: Answer, what: string, path = '/v1/chat/completions'): void {
  const proxied = answer.headers['x-llmrouter-backend'] !== undefined;
  if (answer.status >= 500 && !proxied) throw new Error(`${what}: router answered ${answer.status}: ${answer.body.toString().slice(0, 300)}`);
  if (answer.status >= 400 && !proxied) {
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    const parsed = JSON.parse(answer.body.toString('utf8')) as { type?: unknown; error?: { message?: unknown; type?: unknown; code?: unknown } };
    expect(typeof parsed.error?.message).toBe('string');
    expect(typeof parsed.error?.type).toBe('string');
    if (path.startsWith('/v1/messages')) expect(parsed.type).toBe('error');
    else expect(typeof parsed.error?.code).toBe('string');
  }
  if (proxied) expect(answer.status).toBe(200); // the fake only ever answers 200
}

/** Strings that break naive code: lone surrogates, control characters, NUL, line breaks, very long. */
const LONG = 'x'.repeat(300);
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('\ud800', '\udfff', 'a\ud800b', '\udc00\ud800', '\u0000', '\u0000\u0000', '\r\nx-evil: 1', '\u001b[31m', '\u2028\u2029', '\ufeff', '\uffff', '\u0085', '%', '%E0%A4%A', '"}\\'),
  fc.string({ unit: fc.constantFrom('\ud800', '\udbff', '\udc00', '\u0000', '\u0007', '\n', '\r', '\t', '\u007f', '\u0085', 'a', '/', 'é', '😀'), maxLength: 40 }),
  fc.constantFrom(LONG, '\ud800'.repeat(300), '\u0000'.repeat(257), 'local/'.padEnd(256, 'm'), 'local/'.padEnd(257, 'm'), 'm'.repeat(20_000)),
);

/** The Gemini door's answers: Google's {"error":{code,message,status}} below 500, or the (healthy) backend's answer. */
export function expectWellFormedGoogle(answer: Answer, what: string): void {
  const proxied = answer.headers['x-llmrouter-backend'] !== undefined;
  if (answer.status >= 500 && !proxied) throw new Error(`${what}: router answered ${answer.status}: ${answer.body.toString().slice(0, 300)}`);
  if (answer.status >= 400) {
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    const parsed = JSON.parse(answer.body.toString('utf8')) as { error?: { code?: unknown; message?: unknown; status?: unknown } };
    expect(parsed.error?.code).toBe(answer.status);
    expect(typeof parsed.error?.message).toBe('string');
    expect(parsed.error?.status).toMatch(/^[A-Z_]+$/);
  }
  if (proxied) expect(answer.status).toBe(200); // the fake only ever answers 200
}
