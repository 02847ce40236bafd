import { chatToolsOf, clientCallItem, clientToolsOf, flatToolName } from './client-tools';

describe('client tools: a backend call comes back in the shape the client declared', () => {
  const tools = clientToolsOf({
    tools: [
      { type: 'function', name: 'exec_command' },
      { type: 'custom', name: 'apply_patch' },
      { type: 'namespace', name: 'multi_agent_v1', tools: [{ type: 'function', name: 'spawn_agent' }] },
      { type: 'tool_search', execution: 'client' },
    ],
    input: [{ type: 'tool_search_output', call_id: 't', tools: [{ type: 'namespace', name: 'mcp__docs__', tools: [{ type: 'function', name: 'lookup' }] }] }],
  });

  it('names a namespaced tool as Codex flattens it', () => {
    expect(flatToolName('multi_agent_v1', 'spawn_agent')).toBe('multi_agent_v1__spawn_agent');
    expect(flatToolName('mcp__docs__', 'lookup')).toBe('mcp__docs__lookup');
  });

  it('answers a namespaced call as function_call with its namespace and own name', () => {
    expect(clientCallItem(tools, 'multi_agent_v1__spawn_agent', 'c1', '{"task":"x"}')).toEqual({
      type: 'function_call',
      call_id: 'c1',
      namespace: 'multi_agent_v1',
      name: 'spawn_agent',
      arguments: '{"task":"x"}',
    });
    expect(clientCallItem(tools, 'mcp__docs__lookup', 'c2', '{}')).toMatchObject({ namespace: 'mcp__docs__', name: 'lookup' });
  });

  it('answers tool_search as a client tool_search_call with object arguments', () => {
    expect(clientCallItem(tools, 'tool_search', 'c3', '{"query":"calendar"}')).toEqual({
      type: 'tool_search_call',
      call_id: 'c3',
      execution: 'client',
      arguments: { query: 'calendar' },
    });
  });

  it('keeps plain functions and custom tools as they were', () => {
    expect(clientCallItem(tools, 'exec_command', 'c4', '{"cmd":"ls"}')).toEqual({ type: 'function_call', call_id: 'c4', name: 'exec_command', arguments: '{"cmd":"ls"}' });
    expect(clientCallItem(tools, 'apply_patch', 'c5', '{"input":"*** Begin Patch"}')).toEqual({ type: 'custom_tool_call', call_id: 'c5', name: 'apply_patch', input: '*** Begin Patch' });
    expect(clientCallItem(tools, 'unknown_fn', 'c6', '{}')).toEqual({ type: 'function_call', call_id: 'c6', name: 'unknown_fn', arguments: '{}' });
  });

  it('takes every tool of many tool_search_output items, each once', () => {
    const input = Array.from({ length: 20_000 }, (_, i) => ({ type: 'tool_search_output', call_id: `c${i}`, tools: [{ type: 'function', name: `t${i % 100}`, parameters: { type: 'object' } }] }));
    const tools = chatToolsOf({ tools: [{ type: 'function', name: 'exec_command' }], input });
    expect(tools).toHaveLength(101);
  });

  it('flattens a namespace of a long run of underscores without backtracking (a 1 MB name)', () => {
    const namespace = `${'_'.repeat(1_000_000)}a`;
    expect(flatToolName(namespace, '__x')).toBe(`${namespace}__x`);
    expect(flatToolName('multi_agent_v1__', '_spawn')).toBe('multi_agent_v1__spawn');
  });
});
