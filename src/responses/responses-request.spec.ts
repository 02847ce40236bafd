import { OpenAIError } from '../common/openai-error';
import { assertBridgeable, responsesBodyToChat } from './responses-request';

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
    [{ tools: [{ type: 'function', name: 'f' }, { type: 'code_interpreter' }] }, 'tools[1].type', 'code_interpreter'],
    [{ tools: [{ type: 'web_search' }], tool_choice: { type: 'web_search' } }, 'tool_choice.type', 'web_search'],
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
    }, true);
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
    expect(responsesBodyToChat({ model: 'm', input: 'hi', tools: [], tool_choice: 'auto', parallel_tool_calls: true, stream: false }, true)).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('keeps image parts as parts', () => {
    const chat = responsesBodyToChat({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'what' }, { type: 'input_image', image_url: 'data:image/png;base64,AA' }] }] }, true);
    expect((chat.messages as any)[0].content).toEqual([{ type: 'text', text: 'what' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } }]);
  });
});

describe('responsesBodyToChat: only what chat knows reaches the backend', () => {
  // What Codex CLI 0.171 sends besides input and tools.
  const codexBody = {
    model: 'm',
    stream: true,
    input: [{ type: 'message', id: 'msg_1', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
    tools: [{ type: 'function', name: 'exec_command', description: 'Run', strict: false, parameters: { type: 'object' }, defer_loading: false }],
    tool_choice: 'auto',
    parallel_tool_calls: true,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: 'k',
    client_metadata: { session_id: 's' },
    text: { verbosity: 'low' },
    context_management: [{ type: 'compaction' }],
    service_tier: 'auto',
    safety_identifier: 'x',
    metadata: { a: 'b' },
    truncation: 'auto',
    max_tool_calls: 3,
    background: false,
  };

  it('builds the body from chat fields: client_metadata, include, store, prompt_cache_key, text.verbosity and the rest stay behind', () => {
    expect(responsesBodyToChat(codexBody, true)).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'exec_command', description: 'Run', parameters: { type: 'object' }, strict: false } }],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      reasoning_effort: 'medium',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends reasoning_effort only to a backend whose config says it takes it', () => {
    expect(responsesBodyToChat(codexBody, false)).not.toHaveProperty('reasoning_effort');
  });

  it("leaves out the web_search tool Codex offers by default, keeping the client's own tools", () => {
    const body = { ...codexBody, tools: [{ type: 'web_search', external_web_access: false }, ...(codexBody.tools as unknown[])] };
    expect(() => assertBridgeable(body, 'm')).not.toThrow();
    expect(responsesBodyToChat(body, false).tools).toEqual([{ type: 'function', function: { name: 'exec_command', description: 'Run', parameters: { type: 'object' }, strict: false } }]);
    const onlySearch = { model: 'm', input: 'hi', tools: [{ type: 'web_search' }], tool_choice: 'auto' };
    expect(responsesBodyToChat(onlySearch, false)).not.toHaveProperty('tools');
    expect(responsesBodyToChat(onlySearch, false)).not.toHaveProperty('tool_choice');
  });
});

describe('responsesBodyToChat: namespace and tool_search tools', () => {
  const namespace = {
    type: 'namespace',
    name: 'multi_agent_v1',
    description: 'Sub-agents.',
    tools: [
      { type: 'function', name: 'spawn_agent', description: 'Spawn', strict: false, parameters: { type: 'object', properties: { task: { type: 'string' } } } },
      { type: 'function', name: 'wait_agent', parameters: { type: 'object' } },
    ],
  };
  const toolSearch = { type: 'tool_search', execution: 'client', description: 'Find tools', parameters: { type: 'object', properties: { query: { type: 'string' } } } };

  it("turns a namespace's function tools into plain functions named <namespace>__<name>", () => {
    const chat = responsesBodyToChat({ model: 'm', input: 'hi', tools: [namespace] }, false);
    expect(chat.tools).toEqual([
      { type: 'function', function: { name: 'multi_agent_v1__spawn_agent', description: 'Spawn', parameters: namespace.tools[0].parameters, strict: false } },
      { type: 'function', function: { name: 'multi_agent_v1__wait_agent', parameters: { type: 'object' } } },
    ]);
  });

  it('replays a namespaced function_call under its flat name', () => {
    const chat = responsesBodyToChat(
      {
        model: 'm',
        tools: [namespace],
        input: [
          { type: 'function_call', call_id: 'c1', namespace: 'multi_agent_v1', name: 'spawn_agent', arguments: '{"task":"x"}' },
          { type: 'function_call_output', call_id: 'c1', output: 'spawned' },
        ],
      },
      false,
    );
    expect(chat.messages).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'multi_agent_v1__spawn_agent', arguments: '{"task":"x"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'spawned' },
    ]);
  });

  it('makes a client-executed tool_search a function, its call and output a tool round trip, and the tools it loaded callable', () => {
    const loaded = { type: 'namespace', name: 'mcp__docs__', tools: [{ type: 'function', name: 'lookup', description: 'Look up', parameters: { type: 'object' } }] };
    const chat = responsesBodyToChat(
      {
        model: 'm',
        tools: [toolSearch],
        input: [
          { type: 'tool_search_call', call_id: 'ts1', execution: 'client', arguments: { query: 'docs' } },
          { type: 'tool_search_output', call_id: 'ts1', execution: 'client', status: 'completed', tools: [loaded] },
        ],
      },
      false,
    );
    expect(chat.tools).toEqual([
      { type: 'function', function: { name: 'tool_search', description: 'Find tools', parameters: toolSearch.parameters } },
      { type: 'function', function: { name: 'mcp__docs__lookup', description: 'Look up', parameters: { type: 'object' } } },
    ]);
    const messages = chat.messages as any[];
    expect(messages[0].tool_calls[0]).toEqual({ id: 'ts1', type: 'function', function: { name: 'tool_search', arguments: '{"query":"docs"}' } });
    expect(messages[1].role).toBe('tool');
    expect(JSON.parse(messages[1].content)).toEqual([{ name: 'mcp__docs__lookup', description: 'Look up', parameters: { type: 'object' } }]);
  });

  it('accepts namespace and client tool_search, and still refuses a server-side tool by name', () => {
    expect(() => assertBridgeable({ model: 'm', input: 'hi', tools: [namespace, toolSearch] }, 'm')).not.toThrow();
    expect(refusal({ tools: [{ type: 'tool_search' }] }).param).toBe('tools[0].execution');
    expect(refusal({ tools: [{ type: 'namespace', name: 'n', tools: [{ type: 'web_search' }] }] }).message).toContain('"web_search" inside namespace "n"');
    const unknown = refusal({ tools: [namespace, { type: 'image_generation' }] });
    expect([unknown.status, unknown.param]).toEqual([400, 'tools[1].type']);
    expect(unknown.message).toContain('"image_generation"');
  });
});
