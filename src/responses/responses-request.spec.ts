import { OpenAIError } from '../common/openai-error';
import { assertBridgeable, customToolNames, responsesBodyToChat } from './responses-request';

function refusal(body: Record<string, unknown>): OpenAIError {
  try {
    assertBridgeable({ model: 'ollama/m', input: 'hi', ...body }, 'ollama');
  } catch (error) {
    return error as OpenAIError;
  }
  throw new Error('expected a 400');
}

describe('assertBridgeable', () => {
  it.each([
    [{ tools: [{ type: 'function', name: 'f' }, { type: 'web_search' }] }, 'tools[1].type', 'web_search'],
    [{ tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }, 'tools[0].type', 'file_search'],
    [{ tools: [{ type: 'computer_use_preview' }] }, 'tools[0].type', 'computer_use_preview'],
    [{ conversation: 'conv_1' }, 'conversation', 'conversation'],
    [{ background: true }, 'background', 'Background'],
    [{ prompt: { id: 'pmpt_1' } }, 'prompt', 'prompt'],
    [{ top_logprobs: 3 }, 'top_logprobs', 'top_logprobs'],
    [{ tool_choice: { type: 'file_search' } }, 'tool_choice.type', 'file_search'],
    [{ text: { format: { type: 'grammar' } } }, 'text.format.type', 'grammar'],
    [{ input: [{ role: 'user', content: 'x' }, { type: 'web_search_call', id: 'ws_1' }] }, 'input[1].type', 'web_search_call'],
    [{ input: 42 }, 'input', 'input'],
  ])('refuses %j with a 400 naming %s', (body, param, mentioned) => {
    const error = refusal(body);
    expect(error.status).toBe(400);
    expect(error.type).toBe('invalid_request_error');
    expect(error.param).toBe(param);
    expect(error.message).toContain(mentioned);
  });

  it('accepts what Codex and the AI SDK send', () => {
    expect(() =>
      assertBridgeable(
        {
          model: 'm',
          input: [
            { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'x' }] },
            { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'e' },
            { type: 'custom_tool_call', call_id: 'c', name: 'apply_patch', input: 'p' },
            { type: 'custom_tool_call_output', call_id: 'c', output: 'ok' },
            { type: 'item_reference', id: 'msg_1' },
          ],
          tools: [{ type: 'function', name: 'shell' }, { type: 'custom', name: 'apply_patch' }],
          tool_choice: 'auto',
          text: { format: { type: 'json_schema', name: 'x', schema: {} } },
          store: false,
          include: ['reasoning.encrypted_content'],
        },
        'b',
      ),
    ).not.toThrow();
  });
});

describe('responsesBodyToChat', () => {
  it('converts a full Responses body to the chat body a chat-only backend takes', () => {
    const chat = responsesBodyToChat({
      model: 'm',
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Weather?' }, { type: 'input_text', text: 'In Paris.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '18 C' },
      ],
      tools: [{ type: 'function', name: 'weather', parameters: { type: 'object' } }, { type: 'custom', name: 'apply_patch' }],
      tool_choice: { type: 'function', name: 'weather' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_object' } },
      max_output_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      reasoning: { effort: 'low' },
      user: 'u1',
      metadata: { a: '1' },
      store: true,
      stream: true,
      prompt_cache_key: 'k',
      stream_options: { include_obfuscation: false },
    });
    expect(chat).toEqual({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?\nIn Paris.' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '18 C' },
      ],
      tools: [
        { type: 'function', function: { name: 'weather', parameters: { type: 'object' } } },
        { type: 'function', function: expect.objectContaining({ name: 'apply_patch' }) },
      ],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      reasoning_effort: 'low',
      user: 'u1',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends no tool settings without tools and no stream flag for a plain request', () => {
    expect(responsesBodyToChat({ model: 'm', input: 'hi', tools: [], tool_choice: 'auto', parallel_tool_calls: true, stream: false })).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('keeps image parts as parts', () => {
    const chat = responsesBodyToChat({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'what' }, { type: 'input_image', image_url: 'data:image/png;base64,AA' }] }] });
    expect((chat.messages as any)[0].content).toEqual([{ type: 'text', text: 'what' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } }]);
  });
});

describe('customToolNames', () => {
  it('lists only the custom tools', () => {
    expect([...customToolNames({ tools: [{ type: 'custom', name: 'apply_patch' }, { type: 'function', name: 'shell' }] })]).toEqual(['apply_patch']);
  });
});
