import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentSandbox, runAgent, type AgentSandbox } from './agents-env';
import {
  AGENT_KEY, AGENT_TIMEOUT_MS, MARKER_COMMAND, NOT_CHAT_FIELDS, PLAIN_ANSWER,
  expectPlainFunctionTools, mainTurns, startAgentBackend, toolRoundTrip, type AgentBackend,
} from './agents-backend';

// The real Codex CLI 0.171.0 (test/agents) set up as the README says, against the built router and a
// chat-only fake Ollama: a plain answer, an exec_command round trip and an apply_patch edit.

const MODEL = 'ollama/qwen3-coder';
const PATCH = '*** Begin Patch\n*** Add File: hello.txt\n+hello from the router\n*** End Patch\n';

/** The README's config.toml; retries off so a failure ends the run at once. */
function codexConfig(routerUrl: string, extra = ''): string {
  return `model = "${MODEL}"
model_provider = "llmrouter"
${extra}
[model_providers.llmrouter]
name = "LLM-router"
base_url = "${routerUrl}/v1"
env_key = "LLMROUTER_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
`;
}

/** The model catalog the README gives for `apply_patch` with a router model name, read from README.md. */
function readmeCatalog(): { models: Array<{ slug: string; base_instructions: string }> } {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const block = /```json\n(\{ "models": [\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no Codex model catalog block');
  return JSON.parse(block[1]);
}

describe('Codex CLI 0.171.0 through the router to a chat-only backend', () => {
  jest.setTimeout(AGENT_TIMEOUT_MS + 30_000);
  let backend: AgentBackend;
  let box: AgentSandbox;

  beforeAll(async () => {
    backend = await startAgentBackend({
      'RUN-IT': { name: 'exec_command', arguments: { cmd: MARKER_COMMAND } },
      'PATCH-IT': { name: 'apply_patch', arguments: { input: PATCH } },
      'SEARCH-IT': { name: 'tool_search', arguments: { query: 'spawn agent' } },
    });
  });
  afterAll(async () => {
    await backend?.close();
  });
  beforeEach(async () => {
    backend.reset();
    box = await agentSandbox({ LLMROUTER_API_KEY: AGENT_KEY });
  });
  afterEach(() => box?.cleanup());

  const codex = (prompt: string, config: string, args: string[] = []) => {
    writeFileSync(join(box.env.CODEX_HOME, 'config.toml'), config);
    return runAgent('codex', ['exec', '--skip-git-repo-check', '-C', box.work, ...args, prompt], { env: box.env, cwd: box.work, timeoutMs: AGENT_TIMEOUT_MS });
  };

  it('prints the plain answer; the backend gets a chat body with Codex-only fields left out and every tool a plain function', async () => {
    const run = await codex('PLAIN: say hello', codexConfig(backend.router.url));
    expect(run).toMatchObject({ code: 0, timedOut: false });
    expect(run.stdout.trim()).toBe(PLAIN_ANSWER);

    const [sent] = mainTurns(backend.sent(), 'PLAIN');
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toMatchObject({ model: 'qwen3-coder', stream: true, tool_choice: 'auto' });
    for (const key of [...NOT_CHAT_FIELDS, 'reasoning_effort']) expect(Object.keys(sent.body)).not.toContain(key);
    expect(sent.rawBody).not.toContain('client_metadata');
    expectPlainFunctionTools(sent.body);
    const names = sent.body.tools.map((t: any) => t.function.name);
    expect(names).toContain('exec_command');
    // Codex's multi_agent_v1 namespace arrives as its function tools, flattened under the namespace's name.
    expect(names.filter((n: string) => n.startsWith('multi_agent_v1__')).length).toBeGreaterThan(0);
    expect(sent.body.messages.map((m: any) => m.role)).not.toContain('developer');
    expect(backend.routerLog('/v1/responses').map((l) => l.status)).toEqual([200]);
  });

  it('runs exec_command for the model and sends the command output back (a tool round trip)', async () => {
    const run = await codex('RUN-IT: print the marker', codexConfig(backend.router.url));
    expect(run).toMatchObject({ code: 0, timedOut: false });
    // MARKER-42 exists only in the shell's output: the call reached Codex, ran, and its output came back.
    expect(run.stdout).toContain('Tool said:');
    expect(run.stdout).toContain('MARKER-42');

    const { call, result } = toolRoundTrip(backend.sent(), 'RUN-IT');
    expect(call).toMatchObject({ id: 'call_RUN-IT', type: 'function', function: { name: 'exec_command' } });
    expect(JSON.parse(call.function.arguments)).toEqual({ cmd: MARKER_COMMAND });
    expect(result).toMatchObject({ role: 'tool', tool_call_id: 'call_RUN-IT' });
    expect(result.content).toContain('MARKER-42');
  });

  it('with the README model catalog, gets apply_patch for a router model name and applies the patch the model wrote', async () => {
    const catalogPath = join(box.root, 'router-models.json');
    const catalog = readmeCatalog();
    expect(catalog.models[0].slug).toBe(MODEL);
    writeFileSync(catalogPath, JSON.stringify(catalog));
    const run = await codex('PATCH-IT: create hello.txt', codexConfig(backend.router.url, `model_catalog_json = "${catalogPath}"\nmodel_reasoning_effort = "high"`), ['--sandbox', 'workspace-write']);
    expect(run).toMatchObject({ code: 0, timedOut: false });
    expect(existsSync(join(box.work, 'hello.txt'))).toBe(true);
    expect(readFileSync(join(box.work, 'hello.txt'), 'utf8')).toBe('hello from the router\n');
    expect(run.stdout).toContain('Tool said:');
    expect(run.stdout).toContain('hello.txt');

    const { turns, call, result } = toolRoundTrip(backend.sent(), 'PATCH-IT');
    const first = turns[0].body;
    expect(first.messages[0]).toEqual({ role: 'system', content: catalog.models[0].base_instructions });
    // Codex sends reasoning.effort; Ollama's config says it takes none. The model's streamed reasoning shows.
    expect(run.stderr).toContain('reasoning effort: high');
    expect(run.stderr).toContain('The user wants the tool.');
    expect(Object.keys(first)).not.toContain('reasoning_effort');
    expectPlainFunctionTools(first);
    const applyPatch = first.tools.find((t: any) => t.function.name === 'apply_patch').function;
    expect(applyPatch.parameters).toMatchObject({ type: 'object', properties: { input: { type: 'string' } }, required: ['input'] });
    expect(call.function).toEqual({ name: 'apply_patch', arguments: JSON.stringify({ input: PATCH }) });
    expect(result).toMatchObject({ role: 'tool', tool_call_id: 'call_PATCH-IT' });
  });

  it('with supports_search_tool in its catalog, searches its deferred tools with tool_search and gets them declared', async () => {
    const catalogPath = join(box.root, 'router-models.json');
    const catalog = readmeCatalog();
    writeFileSync(catalogPath, JSON.stringify({ models: [{ ...catalog.models[0], supports_search_tool: true }] }));
    const run = await codex('SEARCH-IT: find the agent tools', codexConfig(backend.router.url, `model_catalog_json = "${catalogPath}"`));
    expect(run).toMatchObject({ code: 0, timedOut: false });
    expect(run.stdout).toContain('Tool said:');
    expect(run.stdout).toContain('multi_agent_v1__spawn_agent');

    const turns = mainTurns(backend.sent(), 'SEARCH-IT');
    expect(turns).toHaveLength(2);
    const names = (body: any) => body.tools.map((t: any) => t.function.name);
    // Codex's client-executed tool_search is a function to the backend; its namespace waits to be found.
    expect(names(turns[0].body)).toContain('tool_search');
    expect(names(turns[0].body)).not.toContain('multi_agent_v1__spawn_agent');
    expect(names(turns[1].body)).toContain('multi_agent_v1__spawn_agent');
    expectPlainFunctionTools(turns[1].body);
    const history = turns[1].body.messages;
    expect(history[history.length - 2].tool_calls[0]).toMatchObject({ id: 'call_SEARCH-IT', function: { name: 'tool_search', arguments: JSON.stringify({ query: 'spawn agent' }) } });
    expect(history[history.length - 1]).toMatchObject({ role: 'tool', tool_call_id: 'call_SEARCH-IT' });
    expect(history[history.length - 1].content).toContain('multi_agent_v1__spawn_agent');
  });
});
