import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentSandbox, runAgent, type AgentSandbox } from './agents-env';
import {
  AGENT_KEY, AGENT_TIMEOUT_MS, MARKER_COMMAND, NOT_CHAT_FIELDS, PLAIN_ANSWER,
  expectPlainFunctionTools, mainTurns, startAgentBackend, toolRoundTrip, type AgentBackend,
} from './agents-backend';

// The real Claude Code 2.1.332 (test/agents) with the README's environment and its default settings,
// against the built router and a chat-only fake Ollama: a plain answer, Read and Bash round trips.

const MODEL = 'ollama/qwen3-coder';
const NOTE = 'NOTE-CONTENT-5150';

describe('Claude Code 2.1.332 through the router to a chat-only backend', () => {
  jest.setTimeout(AGENT_TIMEOUT_MS + 30_000);
  let backend: AgentBackend;
  let box: AgentSandbox;

  beforeAll(async () => {
    backend = await startAgentBackend({
      'BASH-IT': { name: 'Bash', arguments: { command: MARKER_COMMAND, description: 'Print the marker' } },
      'READ-IT': { name: 'Read', arguments: { file_path: 'notes.txt' } },
      'SEARCH-IT': { name: 'ToolSearch', arguments: { query: 'select:NotebookEdit' } },
    });
  });
  afterAll(async () => {
    await backend?.close();
  });
  beforeEach(async () => {
    backend.reset();
    box = await agentSandbox();
    writeFileSync(join(box.work, 'notes.txt'), `${NOTE}\n`);
  });
  afterEach(() => box?.cleanup());

  /** The README's environment; `key` picks how the router key is sent (Bearer or x-api-key). */
  const claude = (prompt: string, args: string[] = [], key: 'ANTHROPIC_AUTH_TOKEN' | 'ANTHROPIC_API_KEY' = 'ANTHROPIC_AUTH_TOKEN') =>
    runAgent('claude', ['-p', prompt, ...args], {
      env: { ...box.env, ANTHROPIC_BASE_URL: backend.router.url, [key]: AGENT_KEY, ANTHROPIC_MODEL: MODEL, ANTHROPIC_SMALL_FAST_MODEL: MODEL },
      cwd: box.work,
      timeoutMs: AGENT_TIMEOUT_MS,
    });

  it('prints the plain answer; the backend gets chat with one leading system message and no Anthropic-only fields', async () => {
    const run = await claude('PLAIN: say hello');
    expect(run).toMatchObject({ code: 0, timedOut: false });
    expect(run.stdout.trim()).toBe(PLAIN_ANSWER);

    const [sent] = mainTurns(backend.sent(), 'PLAIN');
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toMatchObject({ model: 'qwen3-coder', stream: true });
    // Claude Code sends output_config.effort "high"; Ollama's config says it takes no reasoning_effort.
    for (const key of [...NOT_CHAT_FIELDS, 'reasoning_effort', 'user']) expect(Object.keys(sent.body)).not.toContain(key);
    for (const word of ['cache_control', 'defer_loading', 'tool_reference']) expect(sent.rawBody).not.toContain(word);
    // Its mid-conversation system turns join the leading system message: chat models accept one, first.
    const roles: string[] = sent.body.messages.map((m: any) => m.role);
    expect(roles[0]).toBe('system');
    expect(roles.slice(1)).not.toContain('system');
    expectPlainFunctionTools(sent.body);
    expect(sent.body.tools.map((t: any) => t.function.name)).toEqual(expect.arrayContaining(['Bash', 'Read']));
    expect(backend.routerLog('/v1/messages').map((l) => l.status)).toEqual(expect.arrayContaining([200]));
    expect(backend.routerLog('/v1/messages').every((l) => l.status === 200)).toBe(true);
  });

  it('reads a file with Read for the model and sends its content back (x-api-key)', async () => {
    const run = await claude('READ-IT: what is in notes.txt?', [], 'ANTHROPIC_API_KEY');
    expect(run).toMatchObject({ code: 0, timedOut: false });
    expect(run.stdout).toContain('Tool said:');
    expect(run.stdout).toContain(NOTE);

    const { call, result } = toolRoundTrip(backend.sent(), 'READ-IT');
    expect(call).toMatchObject({ id: 'call_READ-IT', type: 'function', function: { name: 'Read' } });
    expect(result).toMatchObject({ role: 'tool', tool_call_id: 'call_READ-IT' });
    expect(result.content).toContain(NOTE);
  });

  it('runs Bash for the model when allowed and sends the command output back (Bearer)', async () => {
    const run = await claude('BASH-IT: print the marker', ['--allowedTools', 'Bash']);
    expect(run).toMatchObject({ code: 0, timedOut: false });
    expect(run.stdout).toContain('Tool said:');
    expect(run.stdout).toContain('MARKER-42');

    const { call, result } = toolRoundTrip(backend.sent(), 'BASH-IT');
    expect(JSON.parse(call.function.arguments)).toMatchObject({ command: MARKER_COMMAND });
    expect(result).toMatchObject({ role: 'tool', tool_call_id: 'call_BASH-IT' });
    expect(result.content).toContain('MARKER-42');
  });

  it('loads a deferred tool with ToolSearch: its definition reaches the model as text, and the tool is declared from then on', async () => {
    const run = await claude('SEARCH-IT: find the notebook tool');
    expect(run).toMatchObject({ code: 0, timedOut: false });
    expect(run.stdout).toContain('Tool said:');

    const turns = mainTurns(backend.sent(), 'SEARCH-IT');
    expect(turns).toHaveLength(2);
    const before = turns[0].body.tools.map((t: any) => t.function.name);
    const after = turns[1].body.tools.map((t: any) => t.function.name);
    expect(before).not.toContain('NotebookEdit');
    expect(after).toContain('NotebookEdit');
    expectPlainFunctionTools(turns[1].body);
    const result = turns[1].body.messages[turns[1].body.messages.length - 1];
    expect(result).toMatchObject({ role: 'tool', tool_call_id: 'call_SEARCH-IT' });
    expect(result.content).toContain('NotebookEdit');
    expect(run.stdout).toContain('NotebookEdit');
  });
});
