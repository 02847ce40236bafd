import OpenAI from 'openai';
import { writePieces } from './compat-upstream';
import { FakeUpstream } from './fake-upstream';
import { auth, backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// What reasoning models and agent clients need from a stream: reasoning fields, the include_usage chunk
// and tool-call deltas reach the client exactly as the upstream sent them, however its writes were cut;
// stream_options and replayed reasoning_content are removed only for backends that reject them.

const sse = (events: unknown[]) => events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n';
const base = { id: 'chatcmpl-r1', object: 'chat.completion.chunk', created: 1, model: 'deepseek-r1' };

/** Cuts bytes at fixed odd offsets so writes split JSON, lines and multi-byte characters. */
function cut(bytes: Buffer, sizes = [7, 13, 3, 29, 1, 17]): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length && i < 10_000; i++) {
    const size = sizes[i % sizes.length];
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

describe('streams for reasoning models and agents', () => {
  let upstream: FakeUpstream;
  let router: RunningRouter;
  let client: OpenAI;
  let upstreamBytes: Buffer;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    upstream.handle((_req, res) => writePieces(res, cut(upstreamBytes), 1));
    router = await startRouter({
      backends: [
        backend('open', upstream.url, { retries: 0 }),
        backend('strict', upstream.url, { unsupported_params: ['stream_options'], unsupported_message_params: ['reasoning_content'], retries: 0 }),
      ],
    });
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0, timeout: 20_000 });
  });

  afterAll(async () => {
    await router?.close();
    await upstream?.close();
  });

  const rawStream = async (body: Record<string, unknown>) => {
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'hi' }], ...body }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    return Buffer.from(await res.arrayBuffer());
  };

  it('relays reasoning_content, reasoning and reasoning_details chunks byte for byte', async () => {
    upstreamBytes = Buffer.from(
      sse([
        { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: null, reasoning_content: 'Let me think — ' }, finish_reason: null }] },
        { ...base, choices: [{ index: 0, delta: { reasoning: 'über «careful» 思考 🤔' }, finish_reason: null }] },
        {
          ...base,
          choices: [{ index: 0, delta: { reasoning_details: [{ type: 'reasoning.encrypted', data: 'gAAAAB…==', id: 'rd_1', format: 'openai-responses-v1', index: 0 }] }, finish_reason: null }],
        },
        { ...base, choices: [{ index: 0, delta: { content: 'Answer.' }, finish_reason: 'stop' }] },
      ]),
    );
    const got = await rawStream({ model: 'open/deepseek-r1' });
    expect(got.equals(upstreamBytes)).toBe(true);
  });

  it('lets the openai SDK read reasoning fields and the final include_usage chunk', async () => {
    upstreamBytes = Buffer.from(
      sse([
        { ...base, choices: [{ index: 0, delta: { role: 'assistant', reasoning_content: 'hmm' }, finish_reason: null }], usage: null },
        { ...base, choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: 'stop' }], usage: null },
        { ...base, choices: [], usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15, completion_tokens_details: { reasoning_tokens: 2 } } },
      ]),
    );
    const stream = await client.chat.completions.create({
      model: 'open/deepseek-r1',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let reasoning = '';
    let content = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(reasoning).toBe('hmm');
    expect(content).toBe('Hi');
    expect(usage).toEqual({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15, completion_tokens_details: { reasoning_tokens: 2 } });
    expect(upstream.last.body.stream_options).toEqual({ include_usage: true });
  });

  it('strips stream_options only for a backend that lists it in unsupported_params', async () => {
    upstreamBytes = Buffer.from(sse([{ ...base, choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: 'stop' }] }]));
    const body = { stream_options: { include_usage: true }, temperature: 0.2 };
    const strictGot = await rawStream({ model: 'strict/m', ...body });
    expect(strictGot.equals(upstreamBytes)).toBe(true);
    expect(upstream.last.body).toEqual({ stream: true, messages: [{ role: 'user', content: 'hi' }], model: 'm', temperature: 0.2 });
    await rawStream({ model: 'open/m', ...body });
    expect(upstream.last.body.stream_options).toEqual({ include_usage: true });
  });

  it('relays tool-call deltas (index, id, partial arguments) byte for byte, and the SDK reassembles them', async () => {
    const call = (delta: unknown, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
    upstreamBytes = Buffer.from(
      sse([
        call({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_AbC123', type: 'function', function: { name: 'write_file', arguments: '' } }] }),
        call({ tool_calls: [{ index: 0, function: { arguments: '{"path":"é.txt",' } }] }),
        call({ tool_calls: [{ index: 1, id: 'call_DeF456', type: 'function', function: { name: 'run', arguments: '{"cmd":' } }] }),
        call({ tool_calls: [{ index: 0, function: { arguments: '"content":"日本語\\n"}' } }] }),
        call({ tool_calls: [{ index: 1, function: { arguments: '"ls"}' } }] }),
        call({}, 'tool_calls'),
      ]),
    );
    const got = await rawStream({ model: 'open/m', tools: [{ type: 'function', name: 'write_file', parameters: {} }] });
    expect(got.equals(upstreamBytes)).toBe(true);

    const stream = await client.chat.completions.create({ model: 'open/m', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const calls: { id?: string; name?: string; args: string }[] = [];
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) {
        calls[tc.index] ??= { args: '' };
        if (tc.id) calls[tc.index].id = tc.id;
        if (tc.function?.name) calls[tc.index].name = tc.function.name;
        calls[tc.index].args += tc.function?.arguments ?? '';
      }
    }
    expect(calls).toEqual([
      { id: 'call_AbC123', name: 'write_file', args: '{"path":"é.txt","content":"日本語\\n"}' },
      { id: 'call_DeF456', name: 'run', args: '{"cmd":"ls"}' },
    ]);
  });

  it('removes replayed reasoning_content from every message for a backend that lists it, and only there', async () => {
    upstreamBytes = Buffer.from(sse([{ ...base, choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: 'stop' }] }]));
    const messages = [
      { role: 'user', content: 'What is 2+2?' },
      { role: 'assistant', content: '4', reasoning_content: 'Two plus two is four.' },
      { role: 'user', content: 'And 3+3?' },
    ];
    await rawStream({ model: 'strict/deepseek-chat', messages });
    expect(upstream.last.body.messages).toEqual([
      { role: 'user', content: 'What is 2+2?' },
      { role: 'assistant', content: '4' },
      { role: 'user', content: 'And 3+3?' },
    ]);
    await rawStream({ model: 'open/deepseek-reasoner', messages });
    expect(upstream.last.body.messages).toEqual(messages);
  });
});
