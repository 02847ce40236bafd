import { clientToolsOf } from './client-tools';
import { chatJsonToResponse, customInput, newResponseRequest } from './response-object';

const chat = (message: Record<string, unknown>, finish = 'stop', usage: unknown = { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 }) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'upstream-name',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
  usage,
});

const request = (body: Record<string, unknown> = {}, custom: string[] = []) =>
  newResponseRequest({ model: 'ollama/m', input: 'hi', ...body }, 'ollama/m', clientToolsOf({ tools: custom.map((name) => ({ type: 'custom', name })) }));

describe('chatJsonToResponse', () => {
  it('answers text as a completed response with the model as the client named it', () => {
    const response = chatJsonToResponse(chat({ content: 'Hello' }), request());
    expect(response).toMatchObject({
      id: expect.stringMatching(/^resp_/),
      object: 'response',
      status: 'completed',
      model: 'ollama/m',
      output: [{ type: 'message', id: expect.stringMatching(/^msg_/), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello', annotations: [] }] }],
      usage: { input_tokens: 9, output_tokens: 4, total_tokens: 13, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
      incomplete_details: null,
      error: null,
    });
    expect(Math.abs((response.created_at as number) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('reads content given as an array of text parts (Mistral) as the answer text', () => {
    const response = chatJsonToResponse(chat({ content: [{ type: 'text', text: 'Bon' }, { type: 'text', text: 'jour' }] }), request());
    expect(response.output).toMatchObject([{ type: 'message', content: [{ type: 'output_text', text: 'Bonjour' }] }]);
  });

  it('puts reasoning first, then text, then one function_call per tool call', () => {
    const response = chatJsonToResponse(
      chat(
        {
          reasoning_content: 'The user wants weather.',
          content: 'Checking.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        'tool_calls',
      ),
      request(),
    );
    expect((response.output as any[]).map((i) => i.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call']);
    expect((response.output as any[])[0].summary).toEqual([{ type: 'summary_text', text: 'The user wants weather.' }]);
    expect((response.output as any[])[3]).toEqual({ type: 'function_call', id: expect.stringMatching(/^fc_/), call_id: 'call_2', name: 'weather', arguments: '{"city":"Rome"}', status: 'completed' });
  });

  it('answers a call to a custom tool as custom_tool_call with the raw input unwrapped', () => {
    const response = chatJsonToResponse(
      chat({ content: null, tool_calls: [{ id: 'call_p', type: 'function', function: { name: 'apply_patch', arguments: '{"input":"*** Begin Patch\\n*** End Patch"}' } }] }, 'tool_calls'),
      request({}, ['apply_patch']),
    );
    expect(response.output).toEqual([{ type: 'custom_tool_call', id: expect.any(String), call_id: 'call_p', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch', status: 'completed' }]);
  });

  it('marks a length-stopped answer incomplete with the reason', () => {
    const response = chatJsonToResponse(chat({ content: 'Once upon' }, 'length'), request({ max_output_tokens: 2 }));
    expect(response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, max_output_tokens: 2 });
    expect((response.output as any[])[0].status).toBe('incomplete');
  });

  it('echoes the request fields as OpenAI returns them, with defaults for the ones not sent', () => {
    const tools = [{ type: 'function', name: 'f', parameters: {} }];
    const echoed = chatJsonToResponse(chat({ content: 'x' }), request({ instructions: 'Be brief.', tools, tool_choice: 'required', temperature: 0.3, top_p: 0.5, parallel_tool_calls: false, metadata: { a: 'b' }, text: { format: { type: 'json_object' } } }));
    expect(echoed).toMatchObject({ instructions: 'Be brief.', tools, tool_choice: 'required', temperature: 0.3, top_p: 0.5, parallel_tool_calls: false, metadata: { a: 'b' }, text: { format: { type: 'json_object' } }, store: true });
    const defaults = chatJsonToResponse(chat({ content: 'x' }), request());
    expect(defaults).toMatchObject({ instructions: null, tools: [], tool_choice: 'auto', temperature: 1, top_p: 1, parallel_tool_calls: true, metadata: {}, text: { format: { type: 'text' } } });
  });

  it('keeps cached and reasoning token details and has null usage when the backend gave none', () => {
    const usage = { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150, prompt_tokens_details: { cached_tokens: 80 }, completion_tokens_details: { reasoning_tokens: 20 } };
    expect(chatJsonToResponse(chat({ content: 'x' }, 'stop', usage), request()).usage).toEqual({
      input_tokens: 100,
      input_tokens_details: { cached_tokens: 80 },
      output_tokens: 50,
      output_tokens_details: { reasoning_tokens: 20 },
      total_tokens: 150,
    });
    expect(chatJsonToResponse(chat({ content: 'x' }, 'stop', null), request()).usage).toBeNull();
  });
});

describe('customInput', () => {
  it.each([
    ['{"input":"a\\nb"}', 'a\nb'],
    ['raw text', 'raw text'],
    ['{"patch":"x"}', '{"patch":"x"}'],
  ])('%s -> %j', (args, expected) => {
    expect(customInput(args)).toBe(expected);
  });
});
