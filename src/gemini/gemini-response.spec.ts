import { chatToGemini, finishReasonFor, usageMetadata } from './gemini-response';

const answer = { model: 'gemini-2.5-flash' };

describe('chatToGemini', () => {
  it('answers text, reasoning as a thought part and whole function calls, with usage and the model the client named', () => {
    const gemini = chatToGemini(
      {
        id: 'chatcmpl-1',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              reasoning_content: 'Let me look.',
              content: 'Reading it.',
              tool_calls: [
                { id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.txt"}' } },
                { id: 'call_2', type: 'function', function: { name: '', arguments: '{}' } },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17, completion_tokens_details: { reasoning_tokens: 3 } },
      },
      answer,
    );
    expect(gemini).toEqual({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [{ text: 'Let me look.', thought: true }, { text: 'Reading it.' }, { functionCall: { id: 'call_1', name: 'read_file', args: { path: 'a.txt' } } }],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 4, thoughtsTokenCount: 3, totalTokenCount: 17 },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'chatcmpl-1',
    });
  });

  it('gives a call without an id one, and broken arguments as empty args', () => {
    const gemini = chatToGemini({ choices: [{ message: { tool_calls: [{ function: { name: 'ls', arguments: '{"pa' } }] }, finish_reason: 'tool_calls' }] }, answer);
    const part = (gemini.candidates as any)[0].content.parts[0];
    expect(part.functionCall).toEqual({ id: expect.stringMatching(/^call_[0-9a-f]{24}$/), name: 'ls', args: {} });
    expect(gemini.responseId).toEqual(expect.any(String));
  });

  it('answers a backend body that is not a completion with no candidates rather than throwing', () => {
    expect(chatToGemini('oops', answer)).toMatchObject({ candidates: [], usageMetadata: { promptTokenCount: 0, candidatesTokenCount: 0, totalTokenCount: 0 } });
  });
});

describe('finishReasonFor and usageMetadata', () => {
  it.each([
    ['stop', 'STOP'],
    ['tool_calls', 'STOP'],
    [null, 'STOP'],
    ['length', 'MAX_TOKENS'],
    ['content_filter', 'SAFETY'],
    ['something_new', 'OTHER'],
  ])('maps %s to %s', (chat, gemini) => expect(finishReasonFor(chat)).toBe(gemini));

  it('ignores counts that are not finite positive numbers', () => {
    expect(usageMetadata({ prompt_tokens: -1, completion_tokens: 'x', total_tokens: Infinity })).toEqual({ promptTokenCount: 0, candidatesTokenCount: 0, totalTokenCount: 0 });
  });
});
