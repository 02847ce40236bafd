import { OpenAIError } from '../common/openai-error';
import { reasoningEffortFor } from '../messages/messages-request';
import { geminiToChat } from './gemini-request';

const base = { model: 'chat/qwen3' };
const user = (text: string) => ({ role: 'user', parts: [{ text }] });

function refusal(body: Record<string, unknown>): OpenAIError {
  try {
    geminiToChat({ ...base, ...body }, false);
  } catch (error) {
    if (error instanceof OpenAIError) return error;
    throw error;
  }
  throw new Error('expected a 400');
}

describe('geminiToChat', () => {
  it('turns systemInstruction (string or Content) into one system message, thought parts left out', () => {
    for (const systemInstruction of ['Be brief.', { parts: [{ text: 'Be' }, { text: 'secret', thought: true }, { text: 'brief.' }] }]) {
      const chat = geminiToChat({ ...base, systemInstruction, contents: [user('hi')] }, false);
      const expected = typeof systemInstruction === 'string' ? 'Be brief.' : 'Be\n\nbrief.';
      expect(chat.messages).toEqual([{ role: 'system', content: expected }, { role: 'user', content: 'hi' }]);
    }
  });

  it('takes contents as a bare string, and a user turn of several text parts as one message', () => {
    expect(geminiToChat({ ...base, contents: 'hello' }, false).messages).toEqual([{ role: 'user', content: 'hello' }]);
    const chat = geminiToChat({ ...base, contents: [{ role: 'user', parts: [{ text: 'a' }, { text: 'b' }] }] }, false);
    expect(chat.messages).toEqual([{ role: 'user', content: 'ab' }]);
  });

  it('sends inlineData images as data URLs, fileData images as their URI, other inline files as files', () => {
    const chat = geminiToChat(
      {
        ...base,
        contents: [
          {
            role: 'user',
            parts: [
              { text: 'what is it?' },
              { inlineData: { mimeType: 'image/png', data: 'iVBO' } },
              { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/cat.jpg' } },
              { inlineData: { mimeType: 'application/pdf', data: 'JVBE' } },
            ],
          },
        ],
      },
      false,
    );
    expect(chat.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is it?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          { type: 'file', file: { filename: 'file', file_data: 'data:application/pdf;base64,JVBE' } },
        ],
      },
    ]);
  });

  it('pairs functionCall and functionResponse as tool_calls and tool messages, by id or by name when the client renamed it', () => {
    const chat = geminiToChat(
      {
        ...base,
        contents: [
          user('read two files'),
          {
            role: 'model',
            parts: [
              { text: 'thinking aloud', thought: true },
              { functionCall: { id: 'a1', name: 'read_file', args: { path: 'x' } }, thoughtSignature: 'sig' },
              { functionCall: { name: 'list_dir', args: {} } },
            ],
          },
          {
            role: 'user',
            parts: [
              { functionResponse: { id: 'renamed-by-cli', name: 'list_dir', response: { output: 'x y' } } },
              { functionResponse: { id: 'a1', name: 'read_file', response: { content: 'hello', size: 5 } } },
            ],
          },
        ],
      },
      false,
    );
    expect(chat.messages).toEqual([
      { role: 'user', content: 'read two files' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'a1', type: 'function', function: { name: 'read_file', arguments: '{"path":"x"}' } },
          { id: 'call_1_2', type: 'function', function: { name: 'list_dir', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1_2', content: 'x y' },
      { role: 'tool', tool_call_id: 'a1', content: '{"content":"hello","size":5}' },
    ]);
  });

  it('maps tools, toolConfig and generationConfig to their chat parameters', () => {
    const chat = geminiToChat(
      {
        ...base,
        contents: [user('hi')],
        tools: [
          { functionDeclarations: [{ name: 'get_weather', description: 'Weather.', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } }] },
          { functionDeclarations: [{ name: 'read_file', parametersJsonSchema: { type: 'object', properties: { path: { type: 'string' } } } }] },
          { googleSearch: {} },
        ],
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
        generationConfig: {
          temperature: 0.2,
          topP: 0.9,
          topK: 40,
          maxOutputTokens: 256,
          stopSequences: ['END'],
          candidateCount: 1,
          responseMimeType: 'application/json',
          thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 },
        },
        safetySettings: [{ category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'BLOCK_NONE' }],
        cachedContent: 'cachedContents/abc',
      },
      true,
    );
    expect(chat).toEqual({
      model: 'chat/qwen3',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', description: 'Weather.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      max_tokens: 256,
      stop: ['END'],
      n: 1,
      response_format: { type: 'json_object' },
      reasoning_effort: reasoningEffortFor(8192),
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it.each([
    ['AUTO', {}],
    ['NONE', { tool_choice: 'none' }],
    ['ANY', { tool_choice: 'required' }],
  ])('maps functionCallingConfig mode %s', (mode, choice) => {
    const chat = geminiToChat({ ...base, contents: [user('hi')], tools: [{ functionDeclarations: [{ name: 'f' }, { name: 'g' }] }], toolConfig: { functionCallingConfig: { mode } } }, false);
    expect(chat).toMatchObject(choice);
    if (mode === 'AUTO') expect(chat).not.toHaveProperty('tool_choice');
    expect((chat.tools as unknown[]).length).toBe(2);
  });

  it('asks for a JSON schema answer from responseSchema (Gemini types) or responseJsonSchema', () => {
    const fromGemini = geminiToChat({ ...base, contents: 'x', generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'ARRAY', items: { type: 'INTEGER' }, nullable: true } } }, false);
    expect(fromGemini.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'response', schema: { type: ['array', 'null'], items: { type: 'integer' } } } });
    const fromJson = geminiToChat({ ...base, contents: 'x', generationConfig: { responseJsonSchema: { type: 'object', properties: { n: { type: 'INTEGER' } } } } }, false);
    expect(fromJson.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'response', schema: { type: 'object', properties: { n: { type: 'integer' } } } } });
  });

  it.each([
    ['no contents', {}, /contents/],
    ['empty contents', { contents: [] }, /contents/],
    ['a role other than user or model', { contents: [{ role: 'system', parts: [{ text: 'x' }] }] }, /contents\.0\.role/],
    ['a part that is not an object', { contents: [{ role: 'user', parts: ['x'] }] }, /contents\.0\.parts\.0/],
    ['inlineData without data', { contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png' } }] }] }, /inlineData/],
    ['a non-image fileData', { contents: [{ role: 'user', parts: [{ fileData: { mimeType: 'application/pdf', fileUri: 'gs://x' } }] }] }, /only images/],
    ['a functionResponse without a name', { contents: [user('x'), { role: 'user', parts: [{ functionResponse: { response: {} } }] }] }, /functionResponse/],
    ['stopSequences of numbers', { contents: 'x', generationConfig: { stopSequences: [1] } }, /stopSequences/],
    ['thinkingBudget as text', { contents: 'x', generationConfig: { thinkingConfig: { thinkingBudget: 'lots' } } }, /thinkingBudget/],
    ['allowedFunctionNames not strings', { contents: 'x', tools: [{ functionDeclarations: [{ name: 'f' }] }], toolConfig: { functionCallingConfig: { allowedFunctionNames: [1] } } }, /allowedFunctionNames/],
    ['a systemInstruction whose text is a number', { contents: 'x', systemInstruction: { parts: [{ text: 5 }] } }, /systemInstruction/],
  ])('refuses %s with a 400 naming the field', (_what, body, message) => {
    const error = refusal(body);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('refuses a functionCall whose args are nested past what JSON.stringify can walk with a 400, not a crash', () => {
    let args: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i++) args = { a: args };
    const error = refusal({ contents: [{ role: 'model', parts: [{ functionCall: { name: 'f', args } }] }] });
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/nested too deeply/);
  });
});
