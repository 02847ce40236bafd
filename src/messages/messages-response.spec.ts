import { anthropicUsage, chatToMessage, toolInput } from './messages-response';

const answer = { model: 'claude-haiku-4-5', stopSequences: ['###'] };
const completion = (message: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'qwen3-coder:30b',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish, ...extra }],
  usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 },
});

describe('chatToMessage', () => {
  it('answers as a Message under the model name the client used', () => {
    const message = chatToMessage(completion({ content: 'Hi there' }, 'stop'), answer);
    expect(message).toEqual({
      id: expect.stringMatching(/^msg_[0-9a-f]{24}$/),
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      content: [{ type: 'text', text: 'Hi there', citations: null }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it('puts thinking first, then text, then one tool_use per call with its input parsed', () => {
    const message = chatToMessage(
      completion(
        {
          reasoning_content: 'need two files',
          content: 'Reading both.',
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'Read', arguments: '{"path":"a.ts"}' } },
            { id: 'call_b', type: 'function', function: { name: 'Read', arguments: '{"path":"b.ts"}' } },
          ],
        },
        'tool_calls',
      ),
      answer,
    );
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'need two files', signature: '' },
      { type: 'text', text: 'Reading both.', citations: null },
      { type: 'tool_use', id: 'call_a', name: 'Read', input: { path: 'a.ts' } },
      { type: 'tool_use', id: 'call_b', name: 'Read', input: { path: 'b.ts' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it.each([
    ['stop', {}, 'end_turn', null],
    ['length', {}, 'max_tokens', null],
    ['tool_calls', {}, 'tool_use', null],
    ['content_filter', {}, 'refusal', null],
    ['stop', { stop_reason: '###' }, 'stop_sequence', '###'],
    ['stop', { stop_reason: 151645 }, 'end_turn', null],
  ])('maps finish_reason %s (%j) to %s', (finish, extra, stopReason, stopSequence) => {
    const message = chatToMessage(completion({ content: 'x' }, finish, extra), answer);
    expect([message.stop_reason, message.stop_sequence]).toEqual([stopReason, stopSequence]);
  });

  it('reports tool_use when a backend says "stop" after a tool call', () => {
    const message = chatToMessage(completion({ content: '', tool_calls: [{ id: 'c', function: { name: 'ls', arguments: '{}' } }] }, 'stop'), answer);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([{ type: 'tool_use', id: 'c', name: 'ls', input: {} }]);
  });

  it('reads content given as an array of text parts', () => {
    const message = chatToMessage(completion({ content: [{ type: 'text', text: 'Hello ' }, { type: 'text', text: 'world' }] }, 'stop'), answer);
    expect(message.content).toEqual([{ type: 'text', text: 'Hello world', citations: null }]);
  });

  it('survives an answer with no choices', () => {
    expect(chatToMessage({ choices: [] }, answer)).toMatchObject({ content: [], stop_reason: 'end_turn', usage: { input_tokens: 0, output_tokens: 0 } });
  });
});

describe('toolInput', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['', {}],
    ['  ', {}],
    ['{"a":', {}],
    ['[1,2]', {}],
    ['"text"', {}],
    [undefined, {}],
    [{ already: 'object' }, { already: 'object' }],
  ])('reads %j as %j', (args, input) => {
    expect(toolInput(args)).toEqual(input);
  });
});

describe('anthropicUsage', () => {
  it.each([
    [{ prompt_tokens: 100, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 64 } }, { input_tokens: 36, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 64 }],
    [{ prompt_tokens: 50, completion_tokens: 1, prompt_cache_hit_tokens: 10 }, { input_tokens: 40, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 10 }],
    [{ prompt_tokens: 'x', completion_tokens: null }, { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }],
    [undefined, { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }],
  ])('maps %j', (usage, expected) => {
    expect(anthropicUsage(usage)).toEqual(expected);
  });
});
