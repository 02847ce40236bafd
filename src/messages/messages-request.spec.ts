import { OpenAIError } from '../common/openai-error';
import { messagesToChat, reasoningEffortFor, reasoningEffortOf } from './messages-request';

const base = { model: 'claude-sonnet-4-5', max_tokens: 100 };

describe('messagesToChat', () => {
  it.each([
    ['a string system prompt', { system: 'Be brief.' }, [{ role: 'system', content: 'Be brief.' }]],
    [
      'system text blocks with cache_control, joined',
      { system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Rules.' }] },
      [{ role: 'system', content: 'You are Claude Code.\n\nRules.' }],
    ],
  ])('turns %s into one system message', (_what, extra, system) => {
    const chat = messagesToChat({ ...base, ...extra, messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.messages).toEqual([...system, { role: 'user', content: 'hi' }]);
  });

  it.each([
    ['a string', 'hello', 'hello'],
    ['text blocks', [{ type: 'text', text: 'a' }, { type: 'text', text: 'b', cache_control: { type: 'ephemeral' } }], 'a\n\nb'],
    [
      'a base64 image and text',
      [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } }, { type: 'text', text: 'what is it?' }],
      [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } }, { type: 'text', text: 'what is it?' }],
    ],
    [
      'a url image',
      [{ type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } }],
      [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }],
    ],
    ['a text document', [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'doc body' } }], 'doc body'],
  ])('converts user content given as %s', (_what, content, expected) => {
    const chat = messagesToChat({ ...base, messages: [{ role: 'user', content }] });
    expect(chat.messages).toEqual([{ role: 'user', content: expected }]);
  });

  it('turns tool_use into tool_calls and tool_result into tool messages placed before the rest of the turn', () => {
    const chat = messagesToChat({
      ...base,
      messages: [
        { role: 'user', content: 'weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'I should call the tool', signature: 'sig' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'also, thanks' },
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'service down' }], is_error: true },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'user', content: 'weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: service down' },
      { role: 'user', content: 'also, thanks' },
    ]);
  });

  it('gives an assistant turn of only tool calls null content, and drops redacted thinking', () => {
    const chat = messagesToChat({
      ...base,
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'xx' }, { type: 'tool_use', id: 't', name: 'ls', input: {} }] },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'user', content: 'go' },
      { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'ls', arguments: '{}' } }] },
    ]);
  });

  it('moves images a tool returned into user content after the tool message', () => {
    const chat = messagesToChat({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_9',
              content: [{ type: 'text', text: 'screenshot:' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } }],
            },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'tool', tool_call_id: 'toolu_9', content: 'screenshot:' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } }] },
    ]);
  });

  it('maps tools, leaving out server tools no chat backend can run', () => {
    const chat = messagesToChat({
      ...base,
      messages: [{ role: 'user', content: 'hi' }],
      tools: [
        { name: 'Read', description: 'Reads a file', input_schema: { type: 'object', properties: { path: { type: 'string' } } }, cache_control: { type: 'ephemeral' } },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 5 },
      ],
    });
    expect(chat.tools).toEqual([
      { type: 'function', function: { name: 'Read', description: 'Reads a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } },
    ]);
  });

  const tool = { name: 'f', input_schema: { type: 'object' } };
  it.each([
    [{ type: 'auto' }, { tool_choice: 'auto' }],
    [{ type: 'any' }, { tool_choice: 'required' }],
    [{ type: 'none' }, { tool_choice: 'none' }],
    [{ type: 'tool', name: 'f' }, { tool_choice: { type: 'function', function: { name: 'f' } } }],
    [{ type: 'auto', disable_parallel_tool_use: true }, { tool_choice: 'auto', parallel_tool_calls: false }],
    [{ type: 'any', disable_parallel_tool_use: true }, { tool_choice: 'required', parallel_tool_calls: false }],
  ])('maps tool_choice %j', (choice, expected) => {
    const chat = messagesToChat({ ...base, messages: [{ role: 'user', content: 'x' }], tools: [tool], tool_choice: choice });
    expect({ tool_choice: chat.tool_choice, ...(chat.parallel_tool_calls !== undefined ? { parallel_tool_calls: chat.parallel_tool_calls } : {}) }).toEqual(expected);
  });

  it('maps the sampling fields, a plain user id and streaming; thinking is left to the bridge', () => {
    const chat = messagesToChat({
      ...base,
      max_tokens: 32000,
      messages: [{ role: 'user', content: 'x' }],
      stop_sequences: ['END'],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 5,
      thinking: { type: 'enabled', budget_tokens: 31999 },
      metadata: { user_id: 'user_abc_session_1' },
      stream: true,
    });
    expect(chat).toEqual({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 32000,
      stop: ['END'],
      temperature: 0.2,
      top_p: 0.9,
      user: 'user_abc_session_1',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it.each([
    [1024, 'low'],
    [4096, 'medium'],
    [10000, 'medium'],
    [16384, 'high'],
  ])('maps a thinking budget of %d tokens to reasoning_effort %s', (budget, effort) => {
    expect(reasoningEffortFor(budget)).toBe(effort);
  });

  it.each([
    ['output_config.effort', { output_config: { effort: 'low' }, thinking: { type: 'enabled', budget_tokens: 20000 } }, 'low'],
    ['output_config.effort max', { output_config: { effort: 'max' } }, 'high'],
    ['adaptive thinking alone', { thinking: { type: 'adaptive' } }, undefined],
    ['thinking disabled', { thinking: { type: 'disabled' } }, undefined],
  ])('takes reasoning_effort from %s', (_what, extra, effort) => {
    expect(reasoningEffortOf({ ...base, ...extra, messages: [{ role: 'user', content: 'x' }] })).toBe(effort);
    expect(messagesToChat({ ...base, ...extra, messages: [{ role: 'user', content: 'x' }] })).not.toHaveProperty('reasoning_effort');
  });

  it('turns a structured output format into response_format', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    const chat = messagesToChat({ ...base, output_config: { format: { type: 'json_schema', schema } }, messages: [{ role: 'user', content: 'x' }] });
    expect(chat.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema } });
  });

  it.each([
    ['no max_tokens', { messages: [{ role: 'user', content: 'x' }], max_tokens: undefined }, 'max_tokens'],
    ['messages not an array', { messages: 'hi' }, 'messages'],
    ['an unknown role', { messages: [{ role: 'tool', content: 'x' }] }, 'role'],
    ['a system turn with an image', { messages: [{ role: 'system', content: [{ type: 'image' }] }] }, 'text blocks'],
    ['a block without a type', { messages: [{ role: 'user', content: [{ text: 'x' }] }] }, 'type'],
    ['an image without a source', { messages: [{ role: 'user', content: [{ type: 'image' }] }] }, 'source'],
    ['a tool without a schema', { messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'f' }] }, 'input_schema'],
    ['a bad tool_choice', { messages: [{ role: 'user', content: 'x' }], tools: [tool], tool_choice: { type: 'maybe' } }, 'tool_choice'],
    ['stop_sequences not strings', { messages: [{ role: 'user', content: 'x' }], stop_sequences: [1] }, 'stop_sequences'],
  ])('refuses %s with a 400 naming the field', (_what, extra, field) => {
    let error: unknown;
    try {
      messagesToChat({ ...base, ...extra });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OpenAIError);
    expect((error as OpenAIError).status).toBe(400);
    expect((error as OpenAIError).message).toContain(field);
  });

  it('never changes the body it reads', () => {
    const body = { ...base, system: [{ type: 'text', text: 's' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] };
    const copy = JSON.parse(JSON.stringify(body));
    messagesToChat(body);
    expect(body).toEqual(copy);
  });
});

describe('messagesToChat: what Claude Code 2.1 sends', () => {
  it('joins a system turn inside messages (its environment section) to the one leading system message', () => {
    const chat = messagesToChat({
      ...base,
      system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        { role: 'system', content: [{ type: 'text', text: '# Environment' }, { type: 'text', text: 'cwd: /w' }] },
        { role: 'assistant', content: 'hello' },
        { role: 'system', content: 'Later note.' },
        { role: 'user', content: 'next' },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'system', content: 'You are Claude Code.\n\n# Environment\n\ncwd: /w\n\nLater note.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'next' },
    ]);
  });

  it('makes a system turn the system message when there is no system field', () => {
    const chat = messagesToChat({ ...base, messages: [{ role: 'user', content: 'hi' }, { role: 'system', content: [{ type: 'text', text: 'env' }] }] });
    expect(chat.messages).toEqual([{ role: 'system', content: 'env' }, { role: 'user', content: 'hi' }]);
  });

  it('sends metadata.user_id as user only when it is a plain identifier, not Claude Code\'s JSON of ids', () => {
    const json = JSON.stringify({ device_id: 'd'.repeat(64), account_uuid: '', session_id: 's' });
    expect(messagesToChat({ ...base, messages: [{ role: 'user', content: 'x' }], metadata: { user_id: json } })).not.toHaveProperty('user');
    expect(messagesToChat({ ...base, messages: [{ role: 'user', content: 'x' }], metadata: { user_id: 'u'.repeat(65) } })).not.toHaveProperty('user');
    expect(messagesToChat({ ...base, messages: [{ role: 'user', content: 'x' }], metadata: { user_id: 'alice@example.com' } }).user).toBe('alice@example.com');
  });

  it('leaves out context_management, thinking, output_config.effort and cache_control', () => {
    const chat = messagesToChat({
      ...base,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }] }],
      thinking: { type: 'adaptive', display: 'omitted' },
      context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
      output_config: { effort: 'high' },
      stream: true,
    });
    expect(Object.keys(chat).sort()).toEqual(['max_tokens', 'messages', 'model', 'stream', 'stream_options']);
  });

  const webFetch = { name: 'WebFetch', description: 'Fetches a URL', input_schema: { type: 'object', properties: { url: { type: 'string' } } }, defer_loading: true };
  const toolSearch = { name: 'ToolSearch', description: 'Finds tools', input_schema: { type: 'object', properties: { query: { type: 'string' } } } };

  it('keeps deferred tools back until a tool_reference loads them', () => {
    const chat = messagesToChat({ ...base, messages: [{ role: 'user', content: 'x' }], tools: [toolSearch, webFetch, { name: 'Placeholder', input_schema: { type: 'object' }, defer_loading: true }] });
    expect((chat.tools as any[]).map((t) => t.function.name)).toEqual(['ToolSearch']);
  });

  it('gives a ToolSearch result\'s tool_reference blocks to the model as the tool definitions, and declares the loaded tool', () => {
    const chat = messagesToChat({
      ...base,
      tools: [toolSearch, webFetch],
      messages: [
        { role: 'user', content: 'fetch it' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'tu1', name: 'ToolSearch', input: { query: 'select:WebFetch,Gone' } }] },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'tu1', content: [{ type: 'tool_reference', tool_name: 'WebFetch' }, { type: 'tool_reference', tool_name: 'Gone' }] }],
        },
      ],
    });
    const toolMessage = (chat.messages as any[]).find((m) => m.role === 'tool');
    expect(toolMessage.content).toBe(
      '<function>{"description":"Fetches a URL","name":"WebFetch","parameters":{"type":"object","properties":{"url":{"type":"string"}}}}</function>\nTool loaded: Gone',
    );
    expect((chat.tools as any[]).map((t) => t.function.name)).toEqual(['ToolSearch', 'WebFetch']);
  });

  it('gives a tool\'s definition once however often tool_reference names it (no amplification of a large schema)', () => {
    const big = { ...webFetch, input_schema: { type: 'object', description: 'x'.repeat(100_000) } };
    const references = Array.from({ length: 2_000 }, () => ({ type: 'tool_reference', tool_name: 'WebFetch' }));
    const chat = messagesToChat({
      ...base,
      tools: [toolSearch, big],
      messages: [
        { role: 'user', content: 'fetch it' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'tu1', name: 'ToolSearch', input: { query: 'select:WebFetch' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu1', content: references }] },
      ],
    });
    const toolMessage = (chat.messages as any[]).find((m) => m.role === 'tool');
    expect(toolMessage.content.split('<function>')).toHaveLength(2);
    expect(toolMessage.content.length).toBeLessThan(100_000 + 2_000 * 60);
    expect(toolMessage.content).toContain('Tool loaded: WebFetch (defined above)');
    expect((chat.tools as any[]).map((t) => t.function.name)).toEqual(['ToolSearch', 'WebFetch']);
  });
});
