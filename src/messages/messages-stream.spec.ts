import { Stream } from '@anthropic-ai/sdk/core/streaming';
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import { MessagesStreamTranslator } from './messages-stream';

// Recorded chat chunk sequences (shapes seen from OpenAI, vLLM, Ollama, DeepSeek) through the translator;
// each result is checked against the event-order rules and read back by the Anthropic SDK's own
// MessageStream, which is what Claude Code's client library does with it.

const answer = { model: 'claude-sonnet-4-5', stopSequences: ['END'] };

type Delta = Record<string, unknown>;
const c = (delta: Delta, finish: string | null = null, extra: Delta = {}) => ({ choices: [{ index: 0, delta, finish_reason: finish, ...extra }] });
const tc = (calls: Delta[]) => c({ tool_calls: calls });
const usage = (prompt: number, completion: number, cached?: number) => ({
  choices: [],
  usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, ...(cached ? { prompt_tokens_details: { cached_tokens: cached } } : {}) },
});

function translate(chunks: unknown[], ending: 'end' | { fail: string } = 'end'): string {
  const t = new MessagesStreamTranslator(answer);
  let out = '';
  for (const chunk of chunks) out += t.push(chunk as Record<string, unknown>);
  out += ending === 'end' ? t.end() : t.fail(ending.fail);
  return out + t.end() + t.fail('after the end');
}

function events(sse: string): { event: string; data: any }[] {
  return sse
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      expect(eventLine.startsWith('event: ') && dataLine.startsWith('data: ')).toBe(true);
      const data = JSON.parse(dataLine.slice(6));
      expect(data.type).toBe(eventLine.slice(7));
      return { event: eventLine.slice(7), data };
    });
}

/** The order rules of the Messages stream; throws on the first one broken. */
function checkOrder(list: { event: string; data: any }[]): void {
  let open: { index: number; type: string } | undefined;
  let nextIndex = 0;
  list.forEach(({ event, data }, i) => {
    const where = `event ${i} (${event})`;
    if (i === 0 && event !== 'message_start') throw new Error(`${where}: first event must be message_start`);
    if (i > 0 && event === 'message_start') throw new Error(`${where}: a second message_start`);
    if (event === 'content_block_start') {
      if (open) throw new Error(`${where}: block ${open.index} still open`);
      if (data.index !== nextIndex) throw new Error(`${where}: index ${data.index}, expected ${nextIndex}`);
      open = { index: data.index, type: data.content_block.type };
      nextIndex++;
    } else if (event === 'content_block_delta') {
      if (!open || open.index !== data.index) throw new Error(`${where}: delta for block ${data.index} outside its block`);
      const expected = { text: 'text_delta', thinking: 'thinking_delta', tool_use: 'input_json_delta' }[open.type];
      if (data.delta.type !== expected) throw new Error(`${where}: ${data.delta.type} inside a ${open.type} block`);
    } else if (event === 'content_block_stop') {
      if (!open || open.index !== data.index) throw new Error(`${where}: stop for block ${data.index} which is not open`);
      open = undefined;
    } else if (event === 'message_delta' && open) throw new Error(`${where}: message_delta with block ${open.index} open`);
    else if (event === 'message_stop' && i !== list.length - 1) throw new Error(`${where}: events after message_stop`);
  });
}

/** What the Anthropic SDK makes of the stream: its final message, or the error it raises. */
async function sdkRead(sse: string) {
  const response = new Response(sse, { headers: { 'content-type': 'text/event-stream' } });
  const stream = Stream.fromSSEResponse(response, new AbortController());
  return MessageStream.fromReadableStream(stream.toReadableStream()).finalMessage();
}

describe('MessagesStreamTranslator', () => {
  it.each([
    [
      'plain text, usage in a last chunk without choices',
      [c({ role: 'assistant', content: '' }), c({ content: 'Hel' }), c({ content: 'lo' }), c({}, 'stop'), usage(12, 2)],
      [{ type: 'text', text: 'Hello' }],
      { stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 12, output_tokens: 2 } },
    ],
    [
      'DeepSeek reasoning_content, then text',
      [c({ reasoning_content: 'Let me ' }), c({ reasoning_content: 'think.' }), c({ content: 'Done.' }), c({}, 'stop')],
      [{ type: 'thinking', thinking: 'Let me think.' }, { type: 'text', text: 'Done.' }],
      { stop_reason: 'end_turn' },
    ],
    [
      'Ollama reasoning, then text',
      [c({ reasoning: 'hmm' }), c({ content: 'ok' }, 'stop')],
      [{ type: 'thinking', thinking: 'hmm' }, { type: 'text', text: 'ok' }],
      { stop_reason: 'end_turn' },
    ],
    [
      'an OpenAI-style tool call, arguments split mid-escape',
      [
        c({ content: 'Reading.' }),
        tc([{ index: 0, id: 'call_1', type: 'function', function: { name: 'Read', arguments: '' } }]),
        tc([{ index: 0, function: { arguments: '{"path": "a\\' } }]),
        tc([{ index: 0, function: { arguments: 'nb.txt"}' } }]),
        c({}, 'tool_calls'),
        usage(30, 9),
      ],
      [{ type: 'text', text: 'Reading.' }, { type: 'tool_use', id: 'call_1', name: 'Read', input: { path: 'a\nb.txt' } }],
      { stop_reason: 'tool_use', usage: { input_tokens: 30, output_tokens: 9 } },
    ],
    [
      'a tool call whose id comes after its first arguments',
      [tc([{ index: 0, function: { name: 'Read', arguments: '{"pa' } }]), tc([{ index: 0, id: 'call_late' }]), tc([{ index: 0, function: { arguments: 'th":"x"}' } }]), c({}, 'tool_calls')],
      [{ type: 'tool_use', id: 'call_late', name: 'Read', input: { path: 'x' } }],
      { stop_reason: 'tool_use' },
    ],
    [
      'a tool call whose name comes in pieces',
      [tc([{ index: 0, id: 'call_2', function: { name: 'get_' } }]), tc([{ index: 0, function: { name: 'weather' } }]), tc([{ index: 0, function: { arguments: '{"city":"Oslo"}' } }]), c({}, 'tool_calls')],
      [{ type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Oslo' } }],
      { stop_reason: 'tool_use' },
    ],
    [
      'a tool call repeating its id and name in every chunk',
      [tc([{ index: 0, id: 'c3', function: { name: 'ls', arguments: '{"a":' } }]), tc([{ index: 0, id: 'c3', function: { name: 'ls', arguments: '1}' } }]), c({}, 'tool_calls')],
      [{ type: 'tool_use', id: 'c3', name: 'ls', input: { a: 1 } }],
      { stop_reason: 'tool_use' },
    ],
    [
      'a tool call that never gets an id or arguments (the stream ends)',
      [tc([{ index: 0, function: { name: 'Glob' } }])],
      [{ type: 'tool_use', name: 'Glob', input: {} }],
      { stop_reason: 'tool_use' },
    ],
    [
      'two parallel tool calls',
      [
        tc([{ index: 0, id: 'a', function: { name: 'Read', arguments: '{"path":"1"}' } }]),
        tc([{ index: 1, id: 'b', function: { name: 'Read', arguments: '{"path":' } }]),
        tc([{ index: 1, function: { arguments: '"2"}' } }]),
        c({}, 'tool_calls'),
      ],
      [
        { type: 'tool_use', id: 'a', name: 'Read', input: { path: '1' } },
        { type: 'tool_use', id: 'b', name: 'Read', input: { path: '2' } },
      ],
      { stop_reason: 'tool_use' },
    ],
    [
      'Ollama: a whole tool call in one chunk, finish_reason "stop"',
      [c({ tool_calls: [{ id: 'call_x', function: { name: 'Bash', arguments: '{"command":"ls"}' } }] }, 'stop')],
      [{ type: 'tool_use', id: 'call_x', name: 'Bash', input: { command: 'ls' } }],
      { stop_reason: 'tool_use' },
    ],
    [
      'a tool call whose arguments come as an object, not a JSON string',
      [tc([{ index: 0, id: 'o1', function: { name: 'Grep', arguments: { pattern: 'TODO' } } }]), c({}, 'tool_calls')],
      [{ type: 'tool_use', id: 'o1', name: 'Grep', input: { pattern: 'TODO' } }],
      { stop_reason: 'tool_use' },
    ],
    [
      'a tool call without a name (nothing to run)',
      [c({ content: 'hi' }), tc([{ index: 0, id: 'x', function: { arguments: '{}' } }]), c({}, 'stop')],
      [{ type: 'text', text: 'hi' }],
      { stop_reason: 'end_turn' },
    ],
    [
      'text again after a tool call',
      [tc([{ index: 0, id: 't', function: { name: 'ls', arguments: '{}' } }]), c({ content: 'and more' }), c({}, 'tool_calls')],
      [{ type: 'tool_use', id: 't', name: 'ls', input: {} }, { type: 'text', text: 'and more' }],
      { stop_reason: 'tool_use' },
    ],
    [
      'content sent as arrays of text parts',
      [c({ content: [{ type: 'text', text: 'Bon' }] }), c({ content: [{ type: 'text', text: 'jour' }] }, 'stop')],
      [{ type: 'text', text: 'Bonjour' }],
      { stop_reason: 'end_turn' },
    ],
    ['a length stop', [c({ content: 'cut' }), c({}, 'length')], [{ type: 'text', text: 'cut' }], { stop_reason: 'max_tokens' }],
    [
      'vLLM naming the stop sequence it matched',
      [c({ content: 'a' }), c({}, 'stop', { stop_reason: 'END' })],
      [{ type: 'text', text: 'a' }],
      { stop_reason: 'stop_sequence', stop_sequence: 'END' },
    ],
    [
      'cached prompt tokens',
      [c({ content: 'a' }, 'stop'), usage(100, 5, 60)],
      [{ type: 'text', text: 'a' }],
      { usage: { input_tokens: 40, output_tokens: 5, cache_read_input_tokens: 60, cache_creation_input_tokens: 0 } },
    ],
    ['an empty stream', [], [], { stop_reason: 'end_turn', usage: { input_tokens: 0, output_tokens: 0 } }],
  ])('translates %s', async (_what, chunks, content, message) => {
    const sse = translate(chunks);
    const list = events(sse);
    checkOrder(list);
    expect(list.filter((e) => e.event === 'message_start')).toHaveLength(1);
    expect(list.at(-1)?.event).toBe('message_stop');
    const start = list[0].data.message;
    expect(start).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null });
    expect(start.usage).toEqual({ input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    const final = await sdkRead(sse);
    expect(final.content).toMatchObject(content);
    expect(final).toMatchObject(message);
  });

  it('gives a tool call without an id a toolu_ id', async () => {
    const final = await sdkRead(translate([tc([{ index: 0, function: { name: 'ls', arguments: '{}' } }])]));
    expect(final.content[0]).toMatchObject({ type: 'tool_use', name: 'ls' });
    expect((final.content[0] as { id: string }).id).toMatch(/^toolu_[0-9a-f]{24}$/);
  });

  it.each([
    ['a failure reported by the proxy mid-text', [c({ content: 'partial' })], { fail: 'Backend "x" dropped the connection mid-response.' }, 'dropped the connection'],
    ['an error chunk from the backend', [c({ content: 'partial' }), { error: { message: 'model crashed' } }, c({ content: 'ignored' })], 'end' as const, 'model crashed'],
    ['a failure before any chunk', [], { fail: 'Backend "x" sent nothing.' }, 'sent nothing'],
  ])('ends %s with one error event the SDK raises', async (_what, chunks, ending, message) => {
    const sse = translate(chunks, ending);
    const list = events(sse);
    expect(list.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: 'api_error', message: expect.stringContaining(message) } } });
    expect(list.filter((e) => e.event === 'error')).toHaveLength(1);
    expect(list.some((e) => e.event === 'message_stop')).toBe(false);
    await expect(sdkRead(sse)).rejects.toThrow(message);
  });
});
