import { clientToolsOf } from './client-tools';
import { newResponseRequest } from './response-object';
import { ResponseStreamTranslator } from './response-stream';

type Event = Record<string, any>;

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'up' };
const delta = (d: Record<string, unknown>, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta: d, finish_reason: finish }] });
const call = (index: number, fields: { id?: string; name?: string; args?: string }) =>
  delta({ tool_calls: [{ index, ...(fields.id ? { id: fields.id, type: 'function' } : {}), function: { ...(fields.name !== undefined ? { name: fields.name } : {}), ...(fields.args !== undefined ? { arguments: fields.args } : {}) } }] });
const usage = { ...base, choices: [], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, completion_tokens_details: { reasoning_tokens: 3 } } };

/** Runs chunks through a translator; `end` says how the backend's stream finished. */
function translate(chunks: object[], end: 'end' | 'fail' = 'end', tools: object[] = []) {
  const body = { model: 'ollama/m', input: 'hi', tools };
  const finished: Event[] = [];
  const t = new ResponseStreamTranslator(newResponseRequest(body, 'ollama/m', clientToolsOf(body)), (r) => void finished.push(r));
  let sse = chunks.map((c) => t.push(c as Record<string, unknown>)).join('');
  sse += end === 'end' ? (t.end() as string) : t.fail('Backend "x" stream failed (reset)', 'upstream_stream_error');
  sse += (t.end() as string) + t.fail('again', 'x'); // after the terminal event nothing more is sent
  return { events: parse(sse), finished };
}

function parse(sse: string): Event[] {
  return sse
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      const data = JSON.parse(dataLine.slice('data: '.length));
      expect(eventLine).toBe(`event: ${data.type}`);
      return data;
    });
}

/** What every Responses stream must satisfy, whatever the chunks. */
function expectWellFormed(events: Event[]): void {
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  expect(events[0].type).toBe('response.created');
  expect(events[1].type).toBe('response.in_progress');
  const terminal = ['response.completed', 'response.incomplete', 'response.failed', 'error'];
  expect(events.filter((e) => terminal.includes(e.type)).length).toBeGreaterThan(0);
  expect(terminal).toContain(events[events.length - 1].type);
  const added = new Map<string, number>();
  const done = new Set<string>();
  events.forEach((e, i) => {
    if (e.type === 'response.output_item.added') added.set(e.item.id, i);
    if (e.type === 'response.output_item.done') done.add(e.item.id);
    if (e.item_id !== undefined) {
      expect(added.get(e.item_id)).toBeLessThan(i); // announced before any of its deltas
      expect(done.has(e.item_id)).toBe(false); // nothing after its done
    }
  });
}

const ofType = (events: Event[], type: string) => events.filter((e) => e.type === type);

describe('ResponseStreamTranslator', () => {
  it('streams text as message events in the documented order and completes with usage', () => {
    const { events, finished } = translate([delta({ role: 'assistant', content: '' }), delta({ content: 'Hel' }), delta({ content: 'lo' }), delta({}, 'stop'), usage]);
    expectWellFormed(events);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(ofType(events, 'response.output_text.done')[0].text).toBe('Hello');
    const completed = events[events.length - 1].response;
    expect(completed.status).toBe('completed');
    expect(completed.model).toBe('ollama/m');
    expect(completed.output).toEqual([expect.objectContaining({ type: 'message', status: 'completed', content: [expect.objectContaining({ type: 'output_text', text: 'Hello' })] })]);
    expect(completed.usage).toEqual({ input_tokens: 11, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 3 }, total_tokens: 18 });
    expect(finished).toEqual([completed]);
  });

  it('sends reasoning as its own item, closed before the answer text starts', () => {
    const { events } = translate([delta({ reasoning_content: 'Think' }), delta({ reasoning: 'ing.' }), delta({ content: 'Yes' }), delta({}, 'stop')]);
    expectWellFormed(events);
    const [rs, msg] = events[events.length - 1].response.output;
    expect(rs).toEqual({ type: 'reasoning', id: expect.stringMatching(/^rs_/), summary: [{ type: 'summary_text', text: 'Thinking.' }] });
    expect(msg.content[0].text).toBe('Yes');
    const types = events.map((e) => e.type);
    expect(types.indexOf('response.reasoning_summary_text.done')).toBeLessThan(types.indexOf('response.content_part.added'));
    expect(ofType(events, 'response.reasoning_summary_text.delta').map((e) => e.delta)).toEqual(['Think', 'ing.']);
  });

  it.each([
    ['id, name and arguments in order', [call(0, { id: 'call_1', name: 'get_weather', args: '' }), call(0, { args: '{"city":' }), call(0, { args: '"Paris"}' })]],
    ['the name split in pieces', [call(0, { id: 'call_1', name: 'get_' }), call(0, { name: 'weather' }), call(0, { args: '{"city":"Paris"}' })]],
    ['the head repeated in every chunk', [call(0, { id: 'call_1', name: 'get_weather', args: '{"city":' }), call(0, { id: 'call_1', name: 'get_weather', args: '"Paris"}' })]],
    ['the id arriving late', [call(0, { name: 'get_weather' }), call(0, { id: 'call_1' }), call(0, { args: '{"city":"Paris"}' })]],
  ])('streams a function call with %s', (_what, chunks) => {
    const { events } = translate([...chunks, delta({}, 'tool_calls')], 'end', [{ type: 'function', name: 'get_weather', parameters: {} }]);
    expectWellFormed(events);
    const added = ofType(events, 'response.output_item.added')[0].item;
    expect(added).toMatchObject({ type: 'function_call', call_id: 'call_1', name: 'get_weather' });
    expect(ofType(events, 'response.function_call_arguments.delta').map((e) => e.delta).join('')).toBe('{"city":"Paris"}');
    expect(ofType(events, 'response.function_call_arguments.done')[0].arguments).toBe('{"city":"Paris"}');
    const done = ofType(events, 'response.output_item.done')[0].item;
    expect(done).toEqual({ type: 'function_call', id: added.id, call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' });
    expect(events[events.length - 1].response.output).toEqual([done]);
  });

  it('gives parallel calls one item each, with a call id of its own when the backend sent none', () => {
    const { events } = translate([call(0, { name: 'a', args: '{}' }), call(1, { name: 'b', args: '{"x":1}' }), delta({}, 'tool_calls')], 'end', [
      { type: 'function', name: 'a' },
      { type: 'function', name: 'b' },
    ]);
    expectWellFormed(events);
    const output = events[events.length - 1].response.output;
    expect(output.map((i: Event) => [i.name, i.arguments])).toEqual([['a', '{}'], ['b', '{"x":1}']]);
    expect(output[0].call_id).toMatch(/^call_/);
    expect(output[0].call_id).not.toBe(output[1].call_id);
  });

  it('keeps apart the calls of a whole message sent as one chunk without indexes', () => {
    const calls = [
      { id: 'c1', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
      { id: 'c2', type: 'function', function: { name: 'b', arguments: '{"y":2}' } },
    ];
    const whole = delta({ role: 'assistant', content: null, tool_calls: calls }, 'tool_calls');
    const { events } = translate([whole], 'end', [{ type: 'function', name: 'a' }, { type: 'function', name: 'b' }]);
    expectWellFormed(events);
    expect(events[events.length - 1].response.output.map((i: Event) => [i.call_id, i.name, i.arguments])).toEqual([['c1', 'a', '{"x":1}'], ['c2', 'b', '{"y":2}']]);
  });

  it('streams a custom tool call as its raw input, even with arguments split inside escapes', () => {
    const pieces = ['{"in', 'put": "*** Begin Patch\\', 'n*** Update File: a.ts\\n+caf\\u00', 'e9 \\"ok\\" \\ud83d', '\\ude00\\n*** End Patch"}'];
    const { events } = translate(
      [call(0, { id: 'call_p', name: 'apply_patch', args: '' }), ...pieces.map((args) => call(0, { args })), delta({}, 'tool_calls')],
      'end',
      [{ type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: x' } }],
    );
    expectWellFormed(events);
    const input = '*** Begin Patch\n*** Update File: a.ts\n+café "ok" 😀\n*** End Patch';
    const deltas = ofType(events, 'response.custom_tool_call_input.delta').map((e) => e.delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(input);
    expect(ofType(events, 'response.custom_tool_call_input.done')[0].input).toBe(input);
    expect(ofType(events, 'response.output_item.done')[0].item).toMatchObject({ type: 'custom_tool_call', call_id: 'call_p', name: 'apply_patch', input, status: 'completed' });
  });

  it('passes a custom call whose arguments are not {"input": …} through as written', () => {
    const { events } = translate([call(0, { id: 'c', name: 'note', args: 'plain text' }), delta({}, 'tool_calls')], 'end', [{ type: 'custom', name: 'note' }]);
    expectWellFormed(events);
    expect(ofType(events, 'response.custom_tool_call_input.delta').map((e) => e.delta).join('')).toBe('plain text');
    expect(ofType(events, 'response.output_item.done')[0].item.input).toBe('plain text');
  });

  it('ends a length-stopped answer with response.incomplete and the reason', () => {
    const { events, finished } = translate([delta({ content: 'Once upon' }), delta({}, 'length')]);
    expectWellFormed(events);
    const last = events[events.length - 1];
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(last.response.output[0].status).toBe('incomplete');
    expect(finished).toHaveLength(1);
  });

  it.each([
    ['mid-text', [delta({ content: 'Hal' })]],
    ['mid-tool-call', [call(0, { id: 'c', name: 'f', args: '{"a' })]],
    ['before any chunk', []],
  ])('ends a stream cut off %s with response.failed then an error event', (_what, chunks) => {
    const { events, finished } = translate(chunks, 'fail', [{ type: 'function', name: 'f' }]);
    expectWellFormed(events);
    const [failed, error] = events.slice(-2);
    expect(failed.type).toBe('response.failed');
    expect(failed.response).toMatchObject({ status: 'failed', error: { code: 'upstream_stream_error', message: expect.stringContaining('stream failed') } });
    expect(failed.response.output.every((i: Event) => i.status === 'incomplete')).toBe(true);
    expect(failed.response.output).toHaveLength(chunks.length > 0 ? 1 : 0);
    expect(error).toMatchObject({ type: 'error', code: 'upstream_stream_error', error: { message: expect.any(String) } });
    expect(finished).toEqual([]);
  });

  it('turns an error object inside the backend stream into response.failed', () => {
    const { events } = translate([delta({ content: 'a' }), { error: { message: 'out of memory', code: 'oom' } }]);
    expectWellFormed(events);
    expect(ofType(events, 'response.failed')[0].response.error).toEqual({ code: 'oom', message: 'out of memory' });
    expect(ofType(events, 'response.completed')).toHaveLength(0);
  });

  it('streams content deltas given as arrays of text parts (Mistral) as output text', () => {
    const { events, finished } = translate([delta({ content: [{ type: 'text', text: 'Bon' }] }), delta({ content: [{ type: 'text', text: 'jour' }] }), delta({}, 'stop')]);
    expectWellFormed(events);
    expect(ofType(events, 'response.output_text.delta').map((e) => e.delta)).toEqual(['Bon', 'jour']);
    expect(finished[0].output).toMatchObject([{ type: 'message', content: [{ type: 'output_text', text: 'Bonjour' }] }]);
  });

  it('completes an empty answer with no output items', () => {
    const { events } = translate([delta({ role: 'assistant' }, 'stop')]);
    expectWellFormed(events);
    expect(events.map((e) => e.type)).toEqual(['response.created', 'response.in_progress', 'response.completed']);
    expect(events[2].response.output).toEqual([]);
  });
});
