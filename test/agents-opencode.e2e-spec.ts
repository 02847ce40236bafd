import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentSandbox, runAgent, type AgentSandbox } from './agents-env';
import { AGENT_KEY, AGENT_TIMEOUT_MS, MARKER_COMMAND, PLAIN_ANSWER, expectPlainFunctionTools, mainTurns, startAgentBackend, toolRoundTrip, type AgentBackend } from './agents-backend';

// The real opencode 1.18.33 (test/agents) with the README's opencode.json, against the built router and a
// chat-only fake Ollama, through both AI SDK providers it offers: @ai-sdk/openai-compatible (Chat
// Completions) and @ai-sdk/openai (the Responses API, bridged). A plain answer and a bash round trip each.

const MODEL = 'ollama/qwen3-coder';

/** The README's opencode.json with the provider package `npm`. */
function opencodeConfig(routerUrl: string, npm: string): unknown {
  return {
    $schema: 'https://opencode.ai/config.json',
    provider: {
      llmrouter: {
        npm,
        name: 'LLM-router',
        options: { baseURL: `${routerUrl}/v1`, apiKey: '{env:LLMROUTER_API_KEY}' },
        models: { [MODEL]: { name: 'qwen3-coder via LLM-router' } },
      },
    },
    model: `llmrouter/${MODEL}`,
    small_model: `llmrouter/${MODEL}`,
  };
}

describe.each([
  ['@ai-sdk/openai-compatible', '/v1/chat/completions'],
  ['@ai-sdk/openai', '/v1/responses'],
])('opencode 1.18.33 with %s through the router to a chat-only backend', (npm, routerPath) => {
  jest.setTimeout(AGENT_TIMEOUT_MS + 30_000);
  let backend: AgentBackend;
  let box: AgentSandbox;

  beforeAll(async () => {
    backend = await startAgentBackend({ 'RUN-IT': { name: 'bash', arguments: { command: MARKER_COMMAND, description: 'Print the marker' } } });
  });
  afterAll(async () => {
    await backend?.close();
  });
  beforeEach(async () => {
    backend.reset();
    box = await agentSandbox({ LLMROUTER_API_KEY: AGENT_KEY });
    box.env.OPENCODE_CONFIG = join(box.root, 'opencode.json');
    writeFileSync(box.env.OPENCODE_CONFIG, JSON.stringify(opencodeConfig(backend.router.url, npm)));
  });
  afterEach(() => box?.cleanup());

  const opencode = (prompt: string) => runAgent('opencode', ['run', '--pure', prompt], { env: box.env, cwd: box.work, timeoutMs: AGENT_TIMEOUT_MS });

  it(`prints the plain answer, asked on ${routerPath}`, async () => {
    const run = await opencode('PLAIN: say hello');
    expect(run).toMatchObject({ code: 0, timedOut: false });
    expect(run.stdout.trim()).toBe(PLAIN_ANSWER);

    const [sent] = mainTurns(backend.sent(), 'PLAIN');
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toMatchObject({ model: 'qwen3-coder', stream: true });
    expect(Object.keys(sent.body)).not.toContain('reasoning_effort');
    expectPlainFunctionTools(sent.body);
    const logged = backend.routerLog(routerPath);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((l) => l.status === 200)).toBe(true);
  });

  it('runs bash for the model and sends the command output back (a tool round trip)', async () => {
    const run = await opencode('RUN-IT: print the marker');
    expect(run).toMatchObject({ code: 0, timedOut: false });
    expect(run.stdout).toContain('Tool said:');
    expect(run.stdout).toContain('MARKER-42');

    const { call, result } = toolRoundTrip(backend.sent(), 'RUN-IT');
    expect(call).toMatchObject({ id: 'call_RUN-IT', type: 'function', function: { name: 'bash' } });
    expect(JSON.parse(call.function.arguments)).toMatchObject({ command: MARKER_COMMAND });
    expect(result).toMatchObject({ role: 'tool', tool_call_id: 'call_RUN-IT' });
    expect(result.content).toContain('MARKER-42');
  });
});
