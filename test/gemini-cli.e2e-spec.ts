import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentSandbox, runAgent, type AgentSandbox } from './agents-env';
import { FakeUpstream, json, sse, type RecordedRequest } from './fake-upstream';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// The real Gemini CLI 0.61.0 (test/agents) against the router, in front of a chat-only fake backend, set
// up as README's "Using with Gemini CLI" says: GOOGLE_GEMINI_BASE_URL, GEMINI_API_KEY, settings.json with
// security.auth.selectedType "gemini-api-key", a trusted workspace, and aliases for the CLI's model names.

/**
 * The model names Gemini CLI 0.61.0 asks for (packages/core/src/config/models.ts): its routing call, the flash
 * and pro turns, embeddings. README's "Using with Gemini CLI" shows the same aliases.
 */
export const GEMINI_CLI_ALIASES = {
  'gemini-3.5-flash-lite': 'chat/m-3.5-flash-lite',
  'gemini-3.8-flash': 'chat/m-3.8-flash',
  'gemini-3.1-pro-preview-customtools': 'chat/m-3.1-pro-preview-customtools',
  'gemini-embedding-001': 'chat/m-embedding-001',
};

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: 'chatcmpl-g',
  object: 'chat.completion.chunk',
  created: 1,
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const usageChunk = { id: 'chatcmpl-g', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 } };

const lastUserText = (req: RecordedRequest): string => {
  const messages = (req.body?.messages ?? []) as Array<{ role: string; content: unknown }>;
  const user = [...messages].reverse().find((m) => m.role === 'user');
  return typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content ?? '');
};

describe('gemini: the real Gemini CLI through the router to a chat-only backend', () => {
  let upstream: FakeUpstream;
  let router: RunningRouter;
  let sandbox: AgentSandbox;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    router = await startRouter({ aliases: GEMINI_CLI_ALIASES, backends: [backend('chat', upstream.url, { key_env_var: 'CHAT_KEY' })] }, { CHAT_KEY: 'chat_backend_key' });
  });

  afterAll(async () => {
    await router?.close();
    await upstream?.close();
  });

  beforeEach(async () => {
    sandbox = await agentSandbox({
      GOOGLE_GEMINI_BASE_URL: router.url,
      GEMINI_API_KEY: ROUTER_KEY,
      GEMINI_CLI_TRUST_WORKSPACE: 'true',
    });
    mkdirSync(join(sandbox.home, '.gemini'), { recursive: true });
    writeFileSync(
      join(sandbox.home, '.gemini', 'settings.json'),
      JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } }, telemetry: { enabled: false }, privacy: { usageStatisticsEnabled: false } }),
    );
    upstream.requests.length = 0;
  });

  afterEach(() => sandbox.cleanup());

  const gemini = (prompt: string, extra: string[] = []) =>
    runAgent('gemini', ['-p', prompt, ...extra], { env: sandbox.env, cwd: sandbox.work, timeoutMs: 90_000 });

  /** The CLI's routing call (JSON output with a schema) gets `score`; every other call gets `answer`. */
  function backendAnswers(score: number, answer: (req: RecordedRequest, res: import('node:http').ServerResponse) => void): void {
    upstream.handle((req, res) => {
      if (req.body?.response_format) {
        const content = JSON.stringify({ complexity_reasoning: 'Rated by the fake backend.', complexity_score: score });
        json(res, 200, { id: 'c', object: 'chat.completion', created: 1, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: usageChunk.usage });
        return;
      }
      answer(req, res);
    });
  }

  const turns = () => upstream.requests.filter((r) => !r.body?.response_format);

  it('answers `gemini -p` from a chat-only backend, after its routing call picks the flash model', async () => {
    backendAnswers(10, (_req, res) => void sse(res, [chunk({ role: 'assistant', content: 'Hello from ' }), chunk({ content: 'the router.' }), chunk({}, 'stop'), usageChunk]));
    const run = await gemini('Say hello');
    expect(run.timedOut).toBe(false);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Hello from the router.');

    // The routing call: gemini-3.5-flash-lite, asked for JSON with Gemini's upper-case schema, lower-cased for chat.
    const routing = upstream.requests.find((r) => r.body?.response_format);
    expect(routing?.body.model).toBe('m-3.5-flash-lite');
    expect(routing?.body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { schema: { type: 'object', properties: { complexity_score: { type: 'integer' } } } },
    });
    expect(turns().map((r) => r.body.model)).toEqual(['m-3.8-flash']);
    const turn = turns()[0];
    expect(turn.path).toBe('/v1/chat/completions');
    expect(turn.headers.authorization).toBe('Bearer chat_backend_key');
    expect(turn.rawBody).not.toContain(ROUTER_KEY);
    expect(turn.body).toMatchObject({ stream: true, messages: expect.arrayContaining([expect.objectContaining({ role: 'system' })]) });
    expect(lastUserText(turn)).toContain('Say hello');
    // Its read-only tools arrive as chat functions, with JSON Schema parameters.
    const readFile = (turn.body.tools as Array<{ function: { name: string; parameters: any } }>).find((t) => t.function.name === 'read_file');
    expect(readFile?.function.parameters).toMatchObject({ type: 'object', properties: { file_path: { type: 'string' } } });
  }, 120_000);

  it('sends a task the routing call rates complex to the pro model', async () => {
    backendAnswers(95, (_req, res) => void sse(res, [chunk({ role: 'assistant', content: 'A careful plan.' }), chunk({}, 'stop'), usageChunk]));
    const run = await gemini('Design a distributed cache with consistent hashing');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('A careful plan.');
    expect(turns().map((r) => r.body.model)).toEqual(['m-3.1-pro-preview-customtools']);
  }, 120_000);

  it('completes a tool round trip: the CLI runs read_file for the backend and sends the result back', async () => {
    writeFileSync(join(sandbox.work, 'notes.txt'), 'The secret word is pineapple.\n');
    backendAnswers(10, (req, res) => {
      const toolResult = (req.body.messages as Array<{ role: string }>).find((m) => m.role === 'tool');
      if (!toolResult) {
        void sse(res, [
          chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_read_1', type: 'function', function: { name: 'read_file', arguments: '{"file_path":' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(join(sandbox.work, 'notes.txt')) + '}' } }] }),
          chunk({}, 'tool_calls'),
          usageChunk,
        ]);
        return;
      }
      void sse(res, [chunk({ role: 'assistant', content: 'The file says: pineapple.' }), chunk({}, 'stop'), usageChunk]);
    });
    const run = await gemini('What is the secret word in notes.txt?');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('The file says: pineapple.');
    const [first, second] = turns();
    expect(first.body.messages.some((m: { role: string }) => m.role === 'tool')).toBe(false);
    const messages = second.body.messages as Array<{ role: string; content: unknown; tool_calls?: any[]; tool_call_id?: string }>;
    const call = messages.find((m) => m.role === 'assistant' && m.tool_calls)?.tool_calls?.[0];
    expect(call?.function).toEqual({ name: 'read_file', arguments: JSON.stringify({ file_path: join(sandbox.work, 'notes.txt') }) });
    const result = messages.find((m) => m.role === 'tool');
    expect(result?.tool_call_id).toBe(call.id);
    expect(String(result?.content)).toContain('pineapple');
  }, 120_000);

  it('takes a router model name with "/" and ":" by -m, with GEMINI_API_KEY_AUTH_MECHANISM=bearer (a Bearer header as well)', async () => {
    backendAnswers(10, (_req, res) => void sse(res, [chunk({ role: 'assistant', content: 'Straight to qwen.' }), chunk({}, 'stop'), usageChunk]));
    const run = await runAgent('gemini', ['-p', 'Say hello', '-m', 'chat/qwen3-coder:30b'], {
      env: { ...sandbox.env, GEMINI_API_KEY_AUTH_MECHANISM: 'bearer', GEMINI_API_KEY: ROUTER_KEY },
      cwd: sandbox.work,
      timeoutMs: 90_000,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Straight to qwen.');
    // No routing call when the model is given: every request is the turn, on the model named.
    expect(upstream.requests.map((r) => r.body.model)).toEqual(['qwen3-coder:30b']);
    expect(upstream.requests[0].headers.authorization).toBe('Bearer chat_backend_key');
  }, 120_000);
});
