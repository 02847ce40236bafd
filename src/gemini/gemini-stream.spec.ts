import { GeminiStreamTranslator, MAX_TOOL_ARGUMENTS } from './gemini-stream';

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ choices: [{ index: 0, delta, finish_reason: finish }] });

/** The `data:` events of an SSE text, parsed. */
function events(sse: string): any[] {
  return sse
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => JSON.parse(e.slice('data: '.length)));
}

describe('GeminiStreamTranslator', () => {
  it('sends one event per piece of text or reasoning as it arrives, and finishReason with usage last', () => {
    const t = new GeminiStreamTranslator({ model: 'gemini-2.5-flash' });
    const out = [
      t.push(chunk({ role: 'assistant', reasoning_content: 'hmm' })),
      t.push(chunk({ content: 'Hel' })),
      t.push(chunk({ content: 'lo' })),
      t.push(chunk({}, 'stop')),
      t.push({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }),
      t.end(),
    ];
    const all = events(out.join(''));
    expect(all.map((e) => e.candidates[0].content.parts)).toEqual([[{ text: 'hmm', thought: true }], [{ text: 'Hel' }], [{ text: 'lo' }], []]);
    expect(all[3].candidates[0].finishReason).toBe('STOP');
    expect(all[3].usageMetadata).toEqual({ promptTokenCount: 5, candidatesTokenCount: 2, totalTokenCount: 7 });
    expect(new Set(all.map((e) => e.responseId)).size).toBe(1);
    expect(all.every((e) => e.modelVersion === 'gemini-2.5-flash')).toBe(true);
    expect(t.end()).toBe('');
  });

  it('collects tool call arguments across chunks and sends each call whole, with its first id, in the last event', () => {
    const t = new GeminiStreamTranslator({ model: 'm' });
    let out = t.push(chunk({ tool_calls: [{ index: 0, function: { name: 'read_file', arguments: '{"pa' } }] }));
    out += t.push(chunk({ tool_calls: [{ index: 0, id: 'call_late', function: { arguments: 'th":"a"}' } }, { index: 1, id: 'call_b', function: { name: 'ls', arguments: '' } }] }));
    expect(out).toBe('');
    out += t.push(chunk({}, 'tool_calls'));
    const [last] = events(out + t.end());
    expect(last.candidates[0].content.parts).toEqual([
      { functionCall: { id: 'call_late', name: 'read_file', args: { path: 'a' } } },
      { functionCall: { id: 'call_b', name: 'ls', args: {} } },
    ]);
    expect(last.candidates[0].finishReason).toBe('STOP');
  });

  it('ends a failed stream with a Google error event, and nothing after it', () => {
    const t = new GeminiStreamTranslator({ model: 'm' });
    t.push(chunk({ content: 'part' }));
    const failed = t.fail('The backend dropped the connection.', 'stream_interrupted');
    expect(events(failed)).toEqual([{ error: { code: 502, message: 'The backend dropped the connection.', status: 'UNAVAILABLE' } }]);
    expect(events(new GeminiStreamTranslator({ model: 'm' }).fail('Too slow.', 'idle_timeout'))[0].error).toMatchObject({ code: 504, status: 'DEADLINE_EXCEEDED' });
    expect(t.push(chunk({ content: 'late' }))).toBe('');
    expect(t.end()).toBe('');
  });

  it('refuses a tool call whose arguments never end (past the limit) by throwing, so the relay fails the stream', () => {
    const t = new GeminiStreamTranslator({ model: 'm' });
    const piece = 'x'.repeat(1 << 20);
    expect(() => {
      for (let i = 0; i <= MAX_TOOL_ARGUMENTS / piece.length; i++) t.push(chunk({ tool_calls: [{ index: 0, function: { name: 'f', arguments: piece } }] }));
    }).toThrow(/arguments grew past/);
  });

  it('ignores chunks that are not objects or carry other choices', () => {
    const t = new GeminiStreamTranslator({ model: 'm' });
    expect(t.push('x' as never)).toBe('');
    expect(t.push({ choices: [{ index: 1, delta: { content: 'second candidate' } }] })).toBe('');
    expect(t.push({ choices: 'nope' })).toBe('');
  });
});
