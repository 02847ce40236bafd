import {
  customInputNote,
  fixAssistantEmptyContent,
  fixToolChoice,
  fixTools,
  inputItemsToMessages,
  isResponsesShaped,
  responsesToChat,
  toChatCompletions,
} from './chat-compat';

describe('isResponsesShaped', () => {
  it.each([
    [{ input: 'hi' }, true],
    [{ input: [], messages: [] }, true],
    [{ input: 'hi', messages: [{ role: 'user', content: 'x' }] }, false],
    [{ messages: [] }, false],
    [{ messages: [{ role: 'user', content: 'x' }] }, false],
  ])('%j -> %s', (body, expected) => {
    expect(isResponsesShaped(body)).toBe(expected);
  });
});

describe('responsesToChat', () => {
  it('puts instructions first as a system message and a string input as one user message', () => {
    expect(responsesToChat({ model: 'm', instructions: 'Be brief.', input: 'Hello' })).toEqual({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
    });
  });

  it('maps Responses-only parameters to their chat names and drops the ones chat backends reject', () => {
    const out = responsesToChat({
      model: 'm',
      input: 'x',
      max_output_tokens: 256,
      reasoning: { effort: 'high', summary: 'auto' },
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      store: false,
      previous_response_id: 'resp_1',
      include: ['reasoning.encrypted_content'],
      parallel_tool_calls: false,
      metadata: { session: 'abc' },
      user: 'u1',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(out).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 256,
      reasoning_effort: 'high',
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      parallel_tool_calls: false,
      metadata: { session: 'abc' },
      user: 'u1',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('drops reasoning without an effort and a plain-text format without adding anything', () => {
    const out = responsesToChat({ model: 'm', input: 'x', reasoning: { summary: 'auto' }, text: { format: { type: 'text' } } });
    expect(out).toEqual({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
  });

  it('replaces an empty messages array and leaves the client body untouched', () => {
    const body = { model: 'm', messages: [], input: 'x', instructions: 'sys' };
    const snapshot = JSON.parse(JSON.stringify(body));
    const out = responsesToChat(body);
    expect(out.messages).toHaveLength(2);
    expect(body).toEqual(snapshot);
  });
});

describe('inputItemsToMessages', () => {
  it('converts a full agent turn in order, merging consecutive calls and keeping call ids', () => {
    const messages = inputItemsToMessages([
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'rules' }] },
      { role: 'user', content: [{ type: 'input_text', text: 'fix it' }, { type: 'input_image', image_url: 'data:image/png;base64,AA', detail: 'low' }] },
      { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAA' },
      { type: 'function_call', call_id: 'call_a', name: 'read_file', arguments: '{"path":"a.ts"}' },
      { type: 'function_call', call_id: 'call_b', name: 'grep', arguments: '{"q":"x"}' },
      { type: 'function_call_output', call_id: 'call_a', output: 'file a' },
      { type: 'function_call_output', call_id: 'call_b', output: 'no match' },
      { type: 'message', role: 'assistant', id: 'msg_1', status: 'completed', content: [{ type: 'output_text', text: 'Done.', annotations: [] }] },
    ]);
    expect(messages).toEqual([
      { role: 'developer', content: [{ type: 'text', text: 'rules' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'fix it' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AA', detail: 'low' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.ts"}' } },
          { id: 'call_b', type: 'function', function: { name: 'grep', arguments: '{"q":"x"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: 'file a' },
      { role: 'tool', tool_call_id: 'call_b', content: 'no match' },
      { role: 'assistant', content: [{ type: 'text', text: 'Done.' }] },
    ]);
  });

  it('converts inputs longer than a function call can take arguments, calls merged into one turn', () => {
    const turns = Array.from({ length: 200_000 }, (_, i) => ({ role: 'user', content: `turn ${i}` }));
    const calls = Array.from({ length: 50_000 }, (_, i) => ({ type: 'function_call', call_id: `c${i}`, name: 'ls', arguments: '{}' }));
    const { messages } = responsesToChat({ model: 'm', input: [...turns, ...calls] }) as { messages: Array<Record<string, any>> };
    expect(messages).toHaveLength(200_001);
    expect(messages[200_000].tool_calls).toHaveLength(50_000);
    expect(messages[200_000].tool_calls[49_999]).toMatchObject({ id: 'c49999' });
  });

  it('joins a call to the assistant text right before it, as one chat assistant turn', () => {
    const messages = inputItemsToMessages([
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me look.' }] },
      { type: 'function_call', call_id: 'c1', name: 'ls', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c1', output: 'a.ts' },
      { type: 'function_call', call_id: 'c2', name: 'ls', arguments: '{}' },
    ]);
    expect(messages).toEqual([
      { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }], tool_calls: [{ id: 'c1', type: 'function', function: { name: 'ls', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'a.ts' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c2', type: 'function', function: { name: 'ls', arguments: '{}' } }] },
    ]);
  });

  it('replays custom tool calls as function calls whose arguments carry the raw input', () => {
    const messages = inputItemsToMessages([
      { type: 'custom_tool_call', call_id: 'c9', name: 'ApplyPatch', input: '*** Begin Patch\n*** End Patch' },
      { type: 'custom_tool_call_output', call_id: 'c9', output: 'ok' },
    ]);
    expect(messages).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c9', type: 'function', function: { name: 'ApplyPatch', arguments: '{"input":"*** Begin Patch\\n*** End Patch"}' } }],
      },
      { role: 'tool', tool_call_id: 'c9', content: 'ok' },
    ]);
  });

  it('turns structured tool outputs into text parts or JSON text', () => {
    const messages = inputItemsToMessages([
      { type: 'function_call_output', call_id: 'a', output: [{ type: 'input_text', text: 'part' }] },
      { type: 'function_call_output', call_id: 'b', output: { exit: 0 } },
    ]);
    expect(messages).toEqual([
      { role: 'tool', tool_call_id: 'a', content: [{ type: 'text', text: 'part' }] },
      { role: 'tool', tool_call_id: 'b', content: '{"exit":0}' },
    ]);
  });
});

describe('fixTools', () => {
  it('nests flat function tools and keeps nested ones as they are', () => {
    const nested = { type: 'function', function: { name: 'keep', parameters: { type: 'object' } } };
    const out = fixTools({
      tools: [{ type: 'function', name: 'read_file', description: 'Read', parameters: { type: 'object', properties: {} }, strict: false }, nested],
    });
    expect(out.tools).toEqual([
      { type: 'function', function: { name: 'read_file', description: 'Read', parameters: { type: 'object', properties: {} }, strict: false } },
      nested,
    ]);
    expect((out.tools as unknown[])[1]).toBe(nested);
  });

  it('turns a custom grammar tool into a function taking one string that documents the grammar', () => {
    const out = fixTools({
      tools: [{ type: 'custom', name: 'ApplyPatch', description: 'Edit files', format: { type: 'grammar', syntax: 'lark', definition: 'start: "*** Begin Patch"' } }],
    });
    expect(out.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'ApplyPatch',
          description: 'Edit files',
          parameters: {
            type: 'object',
            properties: { input: { type: 'string', description: 'The raw tool input as plain text (not JSON), matching this lark grammar:\nstart: "*** Begin Patch"' } },
            required: ['input'],
            additionalProperties: false,
          },
        },
      },
    ]);
  });

  it('handles the chat form of a custom tool and a custom tool without a format', () => {
    const out = fixTools({ tools: [{ type: 'custom', custom: { name: 'note' } }] });
    expect(out.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'note',
          parameters: { type: 'object', properties: { input: { type: 'string', description: customInputNote(undefined) } }, required: ['input'], additionalProperties: false },
        },
      },
    ]);
  });

  it('returns the same body when there is nothing to fix', () => {
    const body = { tools: [{ type: 'function', function: { name: 'x' } }] };
    expect(fixTools(body)).toBe(body);
    const noTools = { messages: [] };
    expect(fixTools(noTools)).toBe(noTools);
  });
});

describe('fixToolChoice', () => {
  it.each([
    [{ type: 'function', name: 'read_file' }, { type: 'function', function: { name: 'read_file' } }],
    [{ type: 'custom', name: 'ApplyPatch' }, { type: 'function', function: { name: 'ApplyPatch' } }],
    [{ type: 'function', function: { name: 'x' } }, { type: 'function', function: { name: 'x' } }],
    ['auto', 'auto'],
    ['required', 'required'],
  ])('%j -> %j', (choice, expected) => {
    expect(fixToolChoice({ tool_choice: choice }).tool_choice).toEqual(expected);
  });
});

describe('fixAssistantEmptyContent', () => {
  it('sets content null on assistant turns with an empty array and leaves other content alone', () => {
    const textParts = [{ type: 'text', text: 'hi' }];
    const out = fixAssistantEmptyContent({
      messages: [
        { role: 'user', content: [] },
        { role: 'assistant', content: [], tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'assistant', content: textParts },
      ],
    });
    expect(out.messages).toEqual([
      { role: 'user', content: [] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'assistant', content: textParts },
    ]);
  });
});

describe('toChatCompletions', () => {
  it('returns a chat body that needs no change as the very same object', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f' } }] };
    expect(toChatCompletions(body)).toBe(body);
  });

  it('applies the tool fixes to a converted Responses-shaped body', () => {
    const out = toChatCompletions({
      model: 'm',
      input: 'go',
      tools: [{ type: 'function', name: 'f', parameters: {} }],
      tool_choice: { type: 'function', name: 'f' },
    });
    expect(out).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'go' }],
      tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
    });
  });
});
