import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { answerAllEndpoints, SentAnswer } from './compat-upstream';
import { FakeUpstream } from './fake-upstream';
import { auth, backend, RunningRouter, startRouter } from './router-harness';

// Replays every recorded client request shape in test/fixtures/clients/ through the real router to two
// fake upstreams: a chat-only backend (the Ollama/Groq/vLLM case, with developer -> system) and a
// backend that also declares the Responses API. Checks what each upstream received and that the client
// got the upstream's answer byte for byte.

interface Fixture {
  file: string;
  client: string;
  name: string;
  source: string;
  endpoint: 'chat/completions' | 'completions' | 'embeddings' | 'responses';
  request: Record<string, any>;
  expect_upstream?: {
    messages_roles?: string[];
    tool_call_ids?: string[];
    byte_identical?: boolean;
    [key: string]: unknown;
  };
}

const FIXTURE_DIR = join(__dirname, 'fixtures', 'clients');
const fixtures: Fixture[] = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) }));

const RESPONSES_ONLY = ['input', 'instructions', 'text', 'max_output_tokens', 'store', 'previous_response_id', 'include', 'reasoning'];
const REWRITTEN = new Set([...RESPONSES_ONLY, 'model', 'messages', 'tools', 'tool_choice']);

describe('client fixtures replayed through the router', () => {
  let chatOnly: FakeUpstream;
  let responsesCapable: FakeUpstream;
  let chatSent: SentAnswer[];
  let respSent: SentAnswer[];
  let router: RunningRouter;

  beforeAll(async () => {
    chatOnly = await FakeUpstream.start();
    responsesCapable = await FakeUpstream.start();
    chatSent = answerAllEndpoints(chatOnly);
    respSent = answerAllEndpoints(responsesCapable);
    router = await startRouter(
      {
        backends: [
          backend('chat', chatOnly.url, { key_env_var: 'CHAT_KEY', role_rewrites: { developer: 'system' }, retries: 0 }),
          backend('resp', responsesCapable.url, {
            key_env_var: 'RESP_KEY',
            endpoints: ['chat/completions', 'completions', 'embeddings', 'responses'],
            retries: 0,
          }),
        ],
      },
      { CHAT_KEY: 'sk-chat-backend', RESP_KEY: 'sk-resp-backend' },
    );
  });

  afterAll(async () => {
    await router?.close();
    await chatOnly?.close();
    await responsesCapable?.close();
  });

  it('has a fixture for every client the README names, each with its source', () => {
    for (const client of ['Cursor', 'Continue', 'Cline', 'Aider', 'Open']) {
      expect(fixtures.some((f) => f.client.startsWith(client))).toBe(true);
    }
    for (const f of fixtures) expect(f.source.length).toBeGreaterThan(40);
  });

  const cases = fixtures.flatMap((f) => [
    [f.file, 'chat', f] as const,
    [f.file, 'resp', f] as const,
  ]);

  it.each(cases)('%s to the %s backend', async (_file, backendName, fixture) => {
    const fake = backendName === 'chat' ? chatOnly : responsesCapable;
    const sent = backendName === 'chat' ? chatSent : respSent;
    const before = fake.requests.length;
    const body = { ...fixture.request, model: `${backendName}/${fixture.request.model}` };
    const res = await fetch(`${router.url}/v1/${fixture.endpoint}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();

    if (fixture.endpoint === 'responses' && backendName === 'chat') {
      // The chat-only backend does not declare "responses": bridged to its /chat/completions.
      expect(res.status).toBe(200);
      expect(fake.requests.length).toBe(before + 1);
      expect(fake.last.path).toBe('/v1/chat/completions');
      expectValidChatCompletions(fake.last.body);
      expect(JSON.parse(text)).toMatchObject({ object: 'response', status: 'completed', model: body.model });
      return;
    }

    expect(res.status).toBe(200);
    expect(fake.requests.length).toBe(before + 1);
    const upstream = fake.last;
    expect(upstream.path).toBe(`/v1/${fixture.endpoint}`);
    expect(upstream.headers.authorization).toBe(backendName === 'chat' ? 'Bearer sk-chat-backend' : 'Bearer sk-resp-backend');
    // The client got exactly what the upstream answered (stream or JSON).
    expect(text).toBe(sent[sent.length - 1].raw);
    expect(res.headers.get('x-llmrouter-backend')).toBe(backendName);

    const expected = { ...fixture.request };
    if (fixture.endpoint !== 'chat/completions') {
      // completions (suffix kept), embeddings, and Responses to a backend that declares it: unconverted.
      expect(upstream.rawBody).toBe(JSON.stringify(expected));
      return;
    }
    const got = upstream.body;
    expectValidChatCompletions(got);
    for (const key of Object.keys(fixture.request)) {
      if (!REWRITTEN.has(key)) expect([key, got[key]]).toEqual([key, fixture.request[key]]);
    }
    const exp = fixture.expect_upstream ?? {};
    if (exp.messages_roles) {
      const roles = backendName === 'chat' ? exp.messages_roles.map((r) => (r === 'developer' ? 'system' : r)) : exp.messages_roles;
      expect(got.messages.map((m: any) => m.role)).toEqual(roles);
    }
    if (exp.tool_call_ids) {
      const ids = got.messages.flatMap((m: any) => (m.tool_calls ?? []).map((c: any) => c.id));
      expect(ids).toEqual(exp.tool_call_ids);
      for (const m of got.messages.filter((m: any) => m.role === 'tool')) expect(exp.tool_call_ids).toContain(m.tool_call_id);
    }
    for (const key of ['reasoning_effort', 'max_tokens']) {
      if (exp[key] !== undefined) expect(got[key]).toEqual(exp[key]);
    }
    if (exp.byte_identical) expect(upstream.rawBody).toBe(JSON.stringify(expected));
    // Tool definitions keep their names, descriptions and schemas.
    const requestedTools = (fixture.request.tools ?? []).map((t: any) => t.function?.name ?? t.name);
    expect((got.tools ?? []).map((t: any) => t.function.name)).toEqual(requestedTools);
  });

  it('converts the Cursor agent body into the exact Chat Completions request a chat backend expects', async () => {
    const fixture = fixtures.find((f) => f.file === 'cursor-agent-responses-items.json')!;
    await fetch(`${router.url}/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ ...fixture.request, model: `chat/${fixture.request.model}` }),
    }).then((r) => r.text());
    const got = chatOnly.last.body;
    expect(got.messages[0]).toEqual({ role: 'system', content: fixture.request.instructions });
    expect(got.messages[1]).toEqual({ role: 'system', content: [{ type: 'text', text: '<user_info>OS: linux. Workspace: /home/u/app</user_info>' }] });
    expect(got.messages[3]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_Read_01', type: 'function', function: { name: 'ReadFile', arguments: '{"target_file":"src/util.ts"}' } },
        { id: 'call_Grep_02', type: 'function', function: { name: 'Grep', arguments: '{"pattern":"foo","path":"src"}' } },
      ],
    });
    expect(got.messages[4]).toEqual({ role: 'tool', tool_call_id: 'call_Read_01', content: 'export const foo = 1;\n' });
    const applyPatch = got.tools[2].function;
    expect(applyPatch.name).toBe('ApplyPatch');
    expect(applyPatch.parameters.required).toEqual(['input']);
    expect(applyPatch.parameters.properties.input.type).toBe('string');
    expect(applyPatch.parameters.properties.input.description).toContain('start: begin_patch hunk+ end_patch');
    expect(got.tools[0]).toEqual({ type: 'function', function: { name: 'ReadFile', description: 'Read a file from the workspace.', parameters: fixture.request.tools[0].parameters, strict: false } });
  });
});

function expectValidChatCompletions(body: any): void {
  expect(Array.isArray(body.messages)).toBe(true);
  expect(body.messages.length).toBeGreaterThan(0);
  for (const key of RESPONSES_ONLY) expect(Object.keys(body)).not.toContain(key);
  for (const m of body.messages) {
    expect(typeof m.role).toBe('string');
    expect(Object.keys(m)).not.toContain('type');
    if (m.role === 'assistant' && Array.isArray(m.content)) expect(m.content.length).toBeGreaterThan(0);
    for (const call of m.tool_calls ?? []) {
      expect(call).toEqual({ id: expect.any(String), type: 'function', function: { name: expect.any(String), arguments: expect.any(String) } });
    }
  }
  for (const tool of body.tools ?? []) {
    expect(tool.type).toBe('function');
    expect(Object.keys(tool)).toEqual(['type', 'function']);
    expect(typeof tool.function.name).toBe('string');
  }
  if (body.tool_choice !== undefined && typeof body.tool_choice !== 'string') {
    expect(typeof body.tool_choice.function.name).toBe('string');
  }
}
