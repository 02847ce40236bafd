import fc from 'fast-check';
import { expectWellFormed, FuzzTarget, hostileString, TEAM_KEY } from './fuzz-support';
import { auth } from './router-harness';

// Property-based, like fuzz-input: client strings that are legal JSON but break naive code, in every field
// the router reads, must never produce a 5xx of the router's own (headers, log lines, metric labels,
// usage counters and error bodies all receive them).

let target: FuzzTarget;
beforeAll(async () => {
  target = await FuzzTarget.start();
});
afterAll(() => target.close());

/** A hostile string, alone or after a real prefix or alias so that it reaches routing, headers and logs. */
const hostileModel = fc.tuple(fc.constantFrom('', 'local/', 'fast', 'nope/'), hostileString).map(([prefix, s]) => prefix + s);
/** Nesting deep enough to break recursive walkers, shallow enough to stay well under max_request_bytes. */
const deepValue = fc.constantFrom(1_000, 20_000).chain((depth) =>
  fc.constantFrom(`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}"\\ud800"${'}'.repeat(depth)}`),
);

/** Every field the router reads, each one possibly hostile: chat bodies and Responses-shaped (Cursor) bodies. */
const hostileBody: fc.Arbitrary<{ path: string; text: string }> = fc
  .record({
    model: fc.oneof(hostileModel, fc.constantFrom('local/m', 'fast')),
    role: fc.oneof(hostileString, fc.constantFrom('user', 'developer', 'system', 'tool')),
    content: hostileString,
    instructions: hostileString,
    effort: hostileString,
    format: hostileString,
    toolName: hostileString,
    toolChoice: hostileString,
    // Half the bodies stay shallow, so they pass the door and reach the bridges' conversion.
    deep: fc.option(deepValue, { nil: undefined }),
    deepField: fc.constantFrom('messages', 'content', 'tools', 'tool_choice', 'input', 'instructions', 'stream_options', 'text', 'reasoning', 'seed', 'model', 'previous_response_id', 'conversation', 'prompt'),
    shape: fc.constantFrom('chat', 'responses', 'messages'),
    responsesPath: fc.boolean(),
    stream: fc.boolean(),
  })
  .map((f) => {
    const body: Record<string, unknown> = { model: f.model, stream: f.stream, seed: f.content };
    if (f.shape === 'messages') {
      body.max_tokens = 16;
      body.system = [{ type: 'text', text: f.instructions }];
      body.messages = [
        { role: 'user', content: f.content },
        { role: 'assistant', content: [{ type: 'tool_use', id: f.toolName, name: f.toolChoice, input: { q: f.content } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: f.toolName, content: [{ type: 'text', text: f.effort }] }] },
      ];
      body.tools = [{ name: f.toolName, description: f.content, input_schema: { type: 'object' } }];
      body.tool_choice = { type: 'tool', name: f.toolChoice };
      body.stop_sequences = [f.format];
      body.metadata = { user_id: f.effort };
    } else if (f.shape === 'chat') {
      body.messages = [{ role: f.role, content: f.content }, { role: 'user', content: [{ type: 'text', text: f.content }] }];
      body.tools = [{ type: 'function', function: { name: f.toolName, parameters: { type: 'object', description: f.content } } }];
      body.tool_choice = f.toolChoice;
    } else {
      body.input = [{ role: f.role, content: f.content }, { type: 'function_call_output', call_id: f.toolName, output: f.content }];
      body.instructions = f.instructions;
      body.reasoning = { effort: f.effort };
      body.text = { format: { type: f.format, name: f.toolName } };
      body.tools = [{ type: 'function', name: f.toolName, parameters: {} }, { type: 'custom', name: f.toolChoice }];
      if (f.responsesPath) body.previous_response_id = f.toolChoice;
      body.conversation = f.instructions;
      body.prompt = { id: f.effort };
      body.store = f.stream;
    }
    if (f.stream) body.stream_options = { include_usage: true };
    const text = JSON.stringify(body);
    // The deep value replaces one field (the last duplicate key wins), written by hand: JSON.stringify
    // would blow the stack building it.
    const path = f.shape === 'messages' ? '/v1/messages' : f.shape === 'responses' && f.responsesPath ? '/v1/responses' : '/v1/chat/completions';
    return { path, text: f.deep === undefined ? text : `${text.slice(0, -1)},${JSON.stringify(f.deepField)}:${f.deep}}` };
  });

describe('fuzzed strings', () => {
  it('answers hostile strings (lone surrogates, control characters, NUL, very long, deep nesting) in every field without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody, fc.boolean(), async ({ path, text }, teamKey) => {
        const answer = await target.post(text, teamKey ? { Authorization: `Bearer ${TEAM_KEY}` } : {}, path);
        expectWellFormed(answer, `${path} ${text.slice(0, 200)}`, path);
        const model = (JSON.parse(text.length < 100_000 ? text : '{}') as { model?: unknown }).model;
        if (typeof model === 'string' && model.length > 256) {
          expect(answer.status).toBe(400);
          expect(JSON.parse(answer.body.toString()).error.message).toContain('256');
        }
      }),
      { numRuns: 400, interruptAfterTimeLimit: 60_000 },
    );
    // What those requests left behind must still be readable: metrics, usage, models.
    for (const path of ['/metrics', '/v1/usage', '/v1/models']) {
      const answer = await target.send('GET', path, auth);
      expect(answer.status).toBe(200);
    }
    await target.expectStillServing();
  });

  it('answers hostile ids in /v1/responses/:id paths (percent-encoded lone surrogates, NUL, invalid UTF-8) without a 5xx', async () => {
    const encoded = fc.oneof(
      hostileString.map((v) => encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd'))),
      fc.constantFrom('%ED%A0%80', '%ED%B0%80', '%00', '%ff', '%C0%AF', '%', '%E0%A4%A', '..%2F..%2Fetc', 'resp_%0d%0ax-evil:1'),
    );
    const suffix = fc.constantFrom('', '/input_items');
    await fc.assert(
      fc.asyncProperty(encoded, suffix, fc.constantFrom('GET', 'DELETE'), async (id, tail, method) => {
        const answer = await target.send(method, `/v1/responses/${id}${tail}`, auth);
        expectWellFormed(answer, `${method} /v1/responses/${id}${tail}`);
      }),
      { numRuns: 200 },
    );
    await target.expectStillServing();
  });
});
