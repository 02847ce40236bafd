import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { isGeminiPath } from '../src/common/gemini-path';
import { expectWellFormed, expectWellFormedGoogle, FuzzTarget } from './fuzz-support';
import { auth } from './router-harness';

// Property-based: whatever a client sends (bodies, headers, paths, bytes, broken HTTP), the router answers
// with an OpenAI-style JSON error or a proxied response, never a 5xx of its own, and keeps serving.

let target: FuzzTarget;
beforeAll(async () => {
  target = await FuzzTarget.start();
});
afterAll(() => target.close());

const send = (method: string, path: string, headers: Record<string, string>, body?: Buffer) => target.send(method, path, headers, body);
const post = (body: Buffer | string, headers: Record<string, string> = {}) => target.post(body, headers);
const expectStillServing = () => target.expectStillServing();

const FIELDS = ['model', 'messages', 'stream', 'temperature', 'tools', 'n', 'seed', 'stream_options', 'input', 'role', 'content'];
const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const anyKey = fc.oneof(fc.constantFrom(...FIELDS, ...ODD_KEYS), fc.string({ maxLength: 12 }));
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom('local/m', 'fast', 'nope/x', '', '\u0000', 'local/', '/'),
);

/** JSON text written by hand, so duplicate keys and "__proto__" survive as the client sent them. */
const objectText: fc.Arbitrary<string> = fc
  .array(fc.tuple(anyKey, anyValue), { maxLength: 8 })
  .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`);

const message = fc.record(
  { role: fc.oneof(fc.constantFrom('user', 'developer', 'system', 'assistant', 'tool'), anyValue), content: anyValue },
  { requiredKeys: [] },
);
const chatLike = fc
  .record(
    {
      model: fc.oneof(fc.constantFrom('local/m', 'fast', 'other-model'), anyValue),
      messages: fc.oneof(fc.array(fc.oneof(message, anyValue), { maxLength: 4 }), anyValue),
      stream: fc.oneof(fc.boolean(), anyValue),
      stream_options: anyValue,
      temperature: anyValue,
      seed: anyValue,
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));

/** Responses and Messages bodies: right-shaped often enough to reach the bridges, wrong-typed anywhere. */
const item = fc.record(
  { type: fc.oneof(fc.constantFrom('message', 'function_call', 'function_call_output', 'reasoning', 'item_reference'), anyValue), role: anyValue, content: anyValue, call_id: anyValue, name: anyValue, arguments: anyValue, output: anyValue },
  { requiredKeys: [] },
);
const responsesLike = fc
  .record(
    {
      model: fc.oneof(fc.constant('local/m'), anyValue),
      input: fc.oneof(fc.array(fc.oneof(item, message), { maxLength: 4 }), anyValue),
      instructions: anyValue,
      tools: fc.oneof(fc.array(fc.record({ type: fc.constantFrom('function', 'custom'), name: anyValue, parameters: anyValue }, { requiredKeys: ['type'] }), { maxLength: 2 }), anyValue),
      tool_choice: anyValue,
      metadata: anyValue,
      reasoning: anyValue,
      text: anyValue,
      store: anyValue,
      stream: fc.oneof(fc.boolean(), anyValue),
      previous_response_id: anyValue,
    },
    { requiredKeys: ['model', 'input'] },
  )
  .map((o) => JSON.stringify(o));
const block = fc.record({ type: fc.oneof(fc.constantFrom('text', 'image', 'tool_use', 'tool_result', 'thinking'), anyValue), text: anyValue, id: anyValue, name: anyValue, input: anyValue, content: anyValue, tool_use_id: anyValue }, { requiredKeys: ['type'] });
const messagesLike = fc
  .record(
    {
      model: fc.oneof(fc.constant('local/m'), anyValue),
      max_tokens: fc.oneof(fc.integer({ min: 1, max: 100 }), anyValue),
      messages: fc.oneof(fc.array(fc.record({ role: fc.oneof(fc.constantFrom('user', 'assistant'), anyValue), content: fc.oneof(fc.array(block, { maxLength: 3 }), anyValue) }), { maxLength: 3 }), anyValue),
      system: anyValue,
      tools: anyValue,
      tool_choice: anyValue,
      stop_sequences: anyValue,
      metadata: anyValue,
      stream: fc.oneof(fc.boolean(), anyValue),
    },
    { requiredKeys: ['model', 'messages'] },
  )
  .map((o) => JSON.stringify(o));

describe('fuzzed input', () => {
  it('answers generated JSON bodies (wrong types, odd keys, duplicates) on every front door with a proxied answer or an error in its dialect', async () => {
    const anyBody = fc.oneof(objectText, fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'));
    const request = fc.oneof(
      fc.tuple(fc.constant('/v1/chat/completions'), fc.oneof(chatLike, anyBody)),
      fc.tuple(fc.constant('/v1/responses'), fc.oneof(responsesLike, anyBody)),
      fc.tuple(fc.constant('/v1/messages'), fc.oneof(messagesLike, anyBody)),
    );
    await fc.assert(
      fc.asyncProperty(request, async ([path, text]) => {
        expectWellFormed(await target.post(text, {}, path), `${path} ${text.slice(0, 200)}`, path);
      }),
      { numRuns: 1500 },
    );
    await expectStillServing();
  });

  it('answers raw bytes, invalid UTF-8 and wrong content types or encodings with an OpenAI-style error or a proxied answer', async () => {
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/vnd.api+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      '',
      ';;;',
      'application/json; charset',
    );
    const encoding = fc.constantFrom(undefined, 'identity', 'gzip', 'deflate', 'br', 'x-unknown', 'gzip, gzip');
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)),
      fc.constantFrom(
        Buffer.from([0x7b, 0x22, 0x6d, 0x6f, 0x64, 0x65, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"model":"\xff\xfe"}
        Buffer.from('{"model":"local/m","messages":[{"role":"user","content":"\ud800"}]}'),
        Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]),
        Buffer.alloc(0),
        Buffer.from('{"model":"local/m","messages":[]}'),
      ),
    );
    await fc.assert(
      fc.asyncProperty(bytes, contentType, encoding, fc.boolean(), async (body, type, enc, compress) => {
        const headers: Record<string, string> = { ...auth };
        if (type) headers['content-type'] = type;
        if (enc) headers['content-encoding'] = enc;
        const payload = compress && enc === 'gzip' ? gzipSync(body) : body;
        const answer = await send('POST', '/v1/chat/completions', headers, payload);
        expectWellFormed(answer, `${type} ${enc} ${body.toString('hex').slice(0, 80)}`);
        if (answer.headers['x-llmrouter-backend'] === undefined) expect(answer.status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 600 },
    );
    await expectStillServing();
  });

  it('answers every path and method: unknown routes are a JSON 404, never a 5xx', async () => {
    const segment = fc.oneof(
      fc.constantFrom('v1', 'chat', 'completions', 'models', 'health', 'embeddings', 'responses', '..', '.', '%2e%2e', '%00', '%', '%E0%A4%A', '%ff', '~', '*', ':id', '{x}'),
      fc.string({ maxLength: 10 }).map(encodeURIComponent),
    );
    const path = fc.array(segment, { maxLength: 6 }).chain((segs) =>
      fc.constantFrom('', '?', '?a=1&a=2', '?__proto__[x]=1', '#frag').map((q) => `/${segs.join('/')}${q}`),
    );
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
    await fc.assert(
      fc.asyncProperty(method, path, async (m, p) => {
        const answer = await send(m, p, { ...auth, 'content-type': 'application/json' }, m === 'GET' || m === 'HEAD' ? undefined : Buffer.from('{}'));
        if (m === 'HEAD') {
          expect(answer.status).toBeLessThan(500);
          return;
        }
        // A path shaped like Gemini's models/{model}:{method} is answered in Google's dialect.
        (isGeminiPath(p) ? expectWellFormedGoogle : expectWellFormed)(answer, `${m} ${p}`);
      }),
      { numRuns: 600 },
    );
    const unknown = await send('GET', '/v1/definitely-not-here', auth);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body.toString()).error.type).toBe('not_found_error');
    await expectStillServing();
  });

  it('answers arbitrary header values (auth, ids, accept, odd names) without a 5xx', async () => {
    const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/);
    // obs-text (bytes 0x80-0xff) is legal in a header value and arrives as latin1 characters.
    const value = fc.oneof(fc.stringMatching(/^[\x20-\x7e]{0,80}$/), fc.stringMatching(/^[\t\x20-\x7e\x80-\xff]{0,40}$/), fc.constantFrom('', 'Bearer', 'Bearer ', 'bearer x', auth.Authorization, `${auth.Authorization} `, 'Basic Zm9vOmJhcg==', 'x'.repeat(4000)));
    const headers = fc.dictionary(fc.oneof(token, fc.constantFrom('authorization', 'x-request-id', 'accept', 'accept-encoding', 'x-api-key', 'origin', 'expect', 'transfer-encoding')), value, { maxKeys: 6 });
    await fc.assert(
      fc.asyncProperty(headers, fc.boolean(), async (h, withAuth) => {
        const all: Record<string, string> = { 'content-type': 'application/json', ...(withAuth ? auth : {}), ...h };
        delete all['transfer-encoding']; // framing is fuzzed with raw sockets below
        delete all['content-length'];
        delete all['expect'];
        const answer = await send('POST', '/v1/chat/completions', all, Buffer.from('{"model":"local/m","messages":[{"role":"user","content":"hi"}]}'));
        expectWellFormed(answer, JSON.stringify(h).slice(0, 200));
      }),
      { numRuns: 400 },
    );
    await expectStillServing();
  });

  it('survives deep nesting and huge strings', async () => {
    const deep = (n: number) => `{"model":"local/m","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(n)}${']'.repeat(n)}}`;
    for (const text of [
      deep(1_000),
      deep(100_000),
      `{"model":"local/m","messages":[{"role":"user","content":"${'a'.repeat(1_500_000)}"}]}`,
      `{"model":"${'m'.repeat(1_000_000)}","messages":[]}`,
      `{"model":"local/m","messages":[{"role":"user","content":"${'\\u00e9'.repeat(200_000)}"}]}`,
      `{"model":"local/m","messages":[{"role":"user","content":"${'a'.repeat(3_000_000)}"}]}`, // over max_request_bytes
      `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`,
    ]) {
      expectWellFormed(await post(text), text.slice(0, 60));
    }
    await expectStillServing();
  });

  it('answers broken HTTP framing from raw sockets with a JSON 4xx or a closed connection, never a 5xx', async () => {
    const body = '{"model":"local/m","messages":[{"role":"user","content":"hi"}]}';
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.Authorization}\r\nContent-Type: application/json\r\n`;
    const broken = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.constantFrom(
        `${head}Content-Length: abc\r\n\r\n${body}`,
        `${head}Content-Length: -5\r\n\r\n${body}`,
        `${head}Content-Length: 10\r\nContent-Length: 20\r\n\r\n${body}`,
        `${head}Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
        `${head}Transfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`,
        `${head}Transfer-Encoding: chunked\r\n\r\n5\r\n{"mod\r\n`,
        `${head}Content-Length: 5\r\n\r\n${body}`,
        `${head}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        `${head.replace('HTTP/1.1', 'HTTP/9.9')}\r\n`,
        `${head.replace(/\r\n/g, '\n')}Content-Length: ${body.length}\n\n${body}`,
        `GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`,
        `POST\r\n\r\n`,
        `\r\n\r\n\r\n`,
        `${head}Content-Length: ${body.length}\r\n\r\n${body}GARBAGE AFTER THE BODY\r\n\r\n`,
      ).map((s) => Buffer.from(s)),
    );
    await fc.assert(
      fc.asyncProperty(broken, async (bytes) => {
        const text = await rawExchange(bytes);
        const responses = text.split(/(?=HTTP\/1\.1 \d{3} )/).filter((r) => r.startsWith('HTTP/1.1 '));
        for (const r of responses) {
          const status = Number(r.slice(9, 12));
          if (status >= 500) throw new Error(`router answered ${status} to ${bytes.toString('latin1').slice(0, 120)}`);
          if (status >= 400) expect(r.toLowerCase()).toContain('content-type: application/json');
        }
      }),
      { numRuns: 150 },
    );
    await expectStillServing();
  });
});

/** Writes bytes to a fresh connection, half-closes it, and returns what came back within a short bound. */
function rawExchange(bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(target.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, 2_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => socket.end(bytes));
  });
}
