import fc from 'fast-check';
import { json, sse, type RecordedRequest } from './fake-upstream';
import { expectWellFormed, FuzzTarget, hostileString, type Answer } from './fuzz-support';
import { auth } from './router-harness';

// Property-based, through the bridges: /v1/responses and /v1/messages bodies that pass the door (shallow,
// right types) but carry hostile strings everywhere, answered by a backend whose chunks are generated too
// (hostile text, tool calls cut anywhere, lying finish reasons and usage, a missing [DONE]). They reach
// the conversion, the response store and the stream translators. Whatever comes in, the router answers
// in the caller's dialect without a 5xx of its own, every stream ends with the caller's terminal event,
// and the process keeps serving.

let target: FuzzTarget;
beforeAll(async () => {
  target = await FuzzTarget.start();
  target.fake.handle((req, res) => answerWith(plan, req, res));
});
afterAll(() => target.close());

const text = fc.oneof(hostileString, fc.string({ maxLength: 16 }));
/** A string within OpenAI's metadata value limit. */
const shortText = text.filter((s) => s.length <= 512);

// ---- the backend's answer --------------------------------------------------------------------------

interface UpstreamPlan {
  deltas: Record<string, unknown>[];
  finish: string | null;
  usage?: Record<string, unknown>;
  done: boolean;
}
const HEALTHY: UpstreamPlan = { deltas: [{ content: 'Hello' }], finish: 'stop', done: true };
let plan = HEALTHY;

const delta = fc.oneof(
  fc.record({ content: text }),
  fc.record({ reasoning_content: text }),
  fc.record({ role: fc.constant('assistant'), content: fc.constant(null), refusal: text }),
  fc.record({
    tool_calls: fc.array(
      fc.record(
        { index: fc.nat(2), id: text, type: fc.constant('function'), function: fc.record({ name: text, arguments: text }, { requiredKeys: [] }) },
        { requiredKeys: ['index'] },
      ),
      { minLength: 1, maxLength: 2 },
    ),
  }),
);
const upstreamPlan: fc.Arbitrary<UpstreamPlan> = fc.record(
  {
    deltas: fc.array(delta, { maxLength: 5 }),
    finish: fc.oneof(fc.constantFrom('stop', 'length', 'tool_calls', 'content_filter', null), hostileString),
    usage: fc.record({ prompt_tokens: fc.oneof(fc.nat(), text), completion_tokens: fc.nat(), total_tokens: fc.oneof(fc.nat(), fc.constant(-1)) }),
    done: fc.boolean(),
  },
  { requiredKeys: ['deltas', 'finish', 'done'] },
);

function answerWith(p: UpstreamPlan, req: RecordedRequest, res: Parameters<typeof json>[0]): void {
  const model = String(req.body?.model ?? 'm');
  const base = { id: 'chatcmpl-fuzz', object: 'chat.completion.chunk', created: 1, model };
  if (req.body?.stream) {
    const events: unknown[] = p.deltas.map((d) => ({ ...base, choices: [{ index: 0, delta: d, finish_reason: null }] }));
    events.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: p.finish }] });
    if (p.usage) events.push({ ...base, choices: [], usage: p.usage });
    void sse(res, events, 0, p.done);
    return;
  }
  // The same parts as one message: texts joined, tool calls as they came.
  const message: Record<string, unknown> = { role: 'assistant', content: null };
  for (const d of p.deltas) {
    if (typeof d.content === 'string') message.content = `${(message.content as string | null) ?? ''}${d.content}`;
    if (typeof d.reasoning_content === 'string') message.reasoning_content = d.reasoning_content;
    if (typeof d.refusal === 'string') message.refusal = d.refusal;
    if (Array.isArray(d.tool_calls)) message.tool_calls = [...((message.tool_calls as unknown[]) ?? []), ...d.tool_calls];
  }
  json(res, 200, { id: 'chatcmpl-fuzz', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message, finish_reason: p.finish }], usage: p.usage });
}

// ---- the client's bodies -----------------------------------------------------------------------------

/** Ids the router handed out (responses and their items), so later bodies can refer to them. */
const storedResponses: string[] = [];
const storedItems: string[] = [];
const pick = (pool: string[], n: number, otherwise: string) => (pool.length > 0 ? pool[n % pool.length] : otherwise);

const inputPart = fc.oneof(
  fc.record({ type: fc.constant('input_text'), text }),
  fc.record({ type: fc.constant('output_text'), text }),
  fc.record({ type: fc.constant('input_image'), image_url: fc.oneof(fc.constant('data:image/png;base64,iVBORw0KGgo='), text) }),
  fc.record({ type: fc.constant('input_file'), filename: text, file_data: fc.constant('data:text/plain;base64,aGk=') }),
);
const role = fc.constantFrom('user', 'assistant', 'system', 'developer');
const inputItem = fc.oneof(
  fc.record({ role, content: fc.oneof(text, fc.array(inputPart, { maxLength: 3 })) }),
  fc.record({ type: fc.constant('message'), role, content: fc.array(inputPart, { maxLength: 3 }) }),
  fc.record({ type: fc.constant('function_call'), call_id: text, name: text, arguments: fc.oneof(text, fc.json({ depthSize: 'small' })) }),
  fc.record({ type: fc.constant('function_call_output'), call_id: text, output: fc.oneof(text, fc.array(inputPart, { maxLength: 2 })) }),
  fc.record({ type: fc.constant('custom_tool_call'), call_id: text, name: text, input: text }),
  fc.record({ type: fc.constant('custom_tool_call_output'), call_id: text, output: text }),
  fc.record({ type: fc.constant('reasoning'), summary: fc.array(fc.record({ type: fc.constant('summary_text'), text }), { maxLength: 2 }) }),
  fc.nat().map((n) => ({ type: 'item_reference', id: n })), // an id from storedItems, chosen when sent
);
const responsesTool = fc.oneof(
  fc.record({ type: fc.constant('function'), name: text, description: text, parameters: fc.constant({ type: 'object', properties: { q: { type: 'string' } } }) }),
  fc.record({ type: fc.constant('custom'), name: text, description: text }),
  fc.record({ type: fc.constant('custom'), name: text, format: fc.record({ type: fc.constant('grammar'), syntax: fc.constantFrom('lark', 'regex'), definition: text }) }),
);
const responsesBody = fc.record(
  {
    model: fc.constant('local/m'),
    input: fc.oneof(text, fc.array(inputItem, { minLength: 1, maxLength: 5 })),
    instructions: text,
    tools: fc.array(responsesTool, { maxLength: 3 }),
    tool_choice: fc.oneof(fc.constantFrom('auto', 'none', 'required'), fc.record({ type: fc.constant('function'), name: text })),
    metadata: fc.dictionary(fc.string({ maxLength: 20 }), shortText, { maxKeys: 16 }),
    reasoning: fc.record({ effort: text, summary: text }, { requiredKeys: [] }),
    text: fc.record({
      format: fc.oneof(
        fc.record({ type: fc.constant('text') }),
        fc.record({ type: fc.constant('json_object') }),
        fc.record({ type: fc.constant('json_schema'), name: text, schema: fc.constant({ type: 'object' }), strict: fc.boolean() }),
      ),
    }),
    store: fc.boolean(),
    stream: fc.boolean(),
    truncation: fc.constantFrom('auto', 'disabled'),
    max_output_tokens: fc.integer({ min: 1, max: 4096 }),
    parallel_tool_calls: fc.boolean(),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    user: text,
    previous_response_id: fc.nat(), // an id from storedResponses, chosen when sent
  },
  { requiredKeys: ['model', 'input'] },
);

const messagesBlock = fc.oneof(
  fc.record({ type: fc.constant('text'), text }),
  fc.record({ type: fc.constant('image'), source: fc.oneof(fc.constant({ type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' }), fc.record({ type: fc.constant('url'), url: text })) }),
  fc.record({ type: fc.constant('tool_use'), id: text, name: text, input: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }) }),
  fc.record(
    { type: fc.constant('tool_result'), tool_use_id: text, content: fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text }), { maxLength: 2 })), is_error: fc.boolean() },
    { requiredKeys: ['type', 'tool_use_id'] },
  ),
  fc.record({ type: fc.constant('thinking'), thinking: text, signature: text }),
  fc.record({ type: fc.constant('document'), source: fc.record({ type: fc.constant('text'), media_type: fc.constant('text/plain'), data: text }) }),
);
const messagesBody = fc.record(
  {
    model: fc.constant('local/m'),
    max_tokens: fc.integer({ min: 1, max: 4096 }),
    messages: fc.array(fc.record({ role: fc.constantFrom('user', 'assistant'), content: fc.oneof(text, fc.array(messagesBlock, { maxLength: 3 })) }), { minLength: 1, maxLength: 4 }),
    system: fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text, cache_control: fc.constant({ type: 'ephemeral' }) }, { requiredKeys: ['type', 'text'] }), { maxLength: 2 })),
    tools: fc.array(fc.record({ name: text, description: text, input_schema: fc.constant({ type: 'object', properties: { q: { type: 'string' } } }) }, { requiredKeys: ['name', 'input_schema'] }), { maxLength: 3 }),
    tool_choice: fc.oneof(fc.constantFrom({ type: 'auto' }, { type: 'any' }, { type: 'none' }), fc.record({ type: fc.constant('tool'), name: text })),
    stop_sequences: fc.array(text, { maxLength: 3 }),
    metadata: fc.record({ user_id: text }),
    thinking: fc.record({ type: fc.constant('enabled'), budget_tokens: fc.integer({ min: 1024, max: 4096 }) }),
    temperature: fc.double({ min: 0, max: 1, noNaN: true }),
    stream: fc.boolean(),
  },
  { requiredKeys: ['model', 'max_tokens', 'messages'] },
);

// ---- what every answer must look like ----------------------------------------------------------------

/** The events of an SSE body, each data line parsed (a line that is not JSON fails the test). */
function eventsOf(body: string, what: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const line of body.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') continue;
    try {
      events.push(JSON.parse(data) as Record<string, unknown>);
    } catch {
      throw new Error(`${what}: a data line is not JSON: ${data.slice(0, 200)}`);
    }
  }
  return events;
}

const TERMINAL: Record<string, string[]> = {
  '/v1/responses': ['response.completed', 'response.incomplete', 'response.failed'],
  '/v1/messages': ['message_stop', 'error'],
};

/** Checks one answer; returns the ids it stored. */
function check(path: string, answer: Answer, what: string): { response?: string; items: string[] } {
  expectWellFormed(answer, what, path);
  if (answer.status !== 200) return { items: [] };
  const body = answer.body.toString('utf8');
  if (String(answer.headers['content-type']).startsWith('text/event-stream')) {
    const events = eventsOf(body, what);
    // The terminal event, after which only an `error` event may follow (Responses sends both on a failure).
    let end = events.length - 1;
    if (path === '/v1/responses' && events[end]?.type === 'error') end -= 1;
    const last = events[end];
    if (!last || !TERMINAL[path].includes(String(last.type))) throw new Error(`${what}: the stream did not end with a terminal event: ${body.slice(-300)}`);
    const response = last.response as { id?: string; store?: boolean; output?: { id?: string }[] } | undefined;
    return last.type === 'response.completed' && response?.store ? { response: response.id, items: (response.output ?? []).map((o) => o.id!).filter(Boolean) } : { items: [] };
  }
  const parsed = JSON.parse(body) as { object?: string; type?: string; id?: string; store?: boolean; output?: { id?: string }[] };
  if (path === '/v1/messages') expect(parsed.type).toBe('message');
  else expect(parsed.object).toBe('response');
  return parsed.store ? { response: parsed.id, items: (parsed.output ?? []).map((o) => o.id!).filter(Boolean) } : { items: [] };
}

/** Sends a body whose placeholders name stored ids; returns whether it reached the backend. */
async function send(path: string, body: Record<string, unknown>): Promise<boolean> {
  if (typeof body.previous_response_id === 'number') body.previous_response_id = pick(storedResponses, body.previous_response_id, 'resp_none');
  if (Array.isArray(body.input)) {
    body.input = (body.input as Record<string, unknown>[]).map((i) => (i.type === 'item_reference' ? { type: 'item_reference', id: pick(storedItems, i.id as number, 'msg_none') } : i));
  }
  const textBody = JSON.stringify(body);
  const before = target.fake.requests.length;
  const answer = await target.post(textBody, {}, path);
  const stored = check(path, answer, `${path} ${textBody.slice(0, 300)}`);
  if (stored.response) storedResponses.push(stored.response);
  storedItems.push(...stored.items);
  return target.fake.requests.length > before;
}

describe('fuzzed bridges', () => {
  it('converts generated /v1/responses bodies and backend answers without a 5xx, every stream ending with its terminal event', async () => {
    let reached = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(responsesBody, upstreamPlan, async (body, p) => {
        plan = p;
        runs += 1;
        if (await send('/v1/responses', body)) reached += 1;
      }),
      { numRuns: 300, interruptAfterTimeLimit: 60_000 },
    );
    // Most bodies must get past the door and through the conversion, or this fuzzes nothing.
    expect(reached).toBeGreaterThan(runs / 2);
    expect(storedResponses.length).toBeGreaterThan(0);
    // What was stored reads back.
    for (const id of storedResponses.slice(-20)) {
      for (const tail of ['', '/input_items']) {
        const answer = await target.send('GET', `/v1/responses/${id}${tail}`, auth);
        expectWellFormed(answer, `GET ${id}${tail}`);
        expect(answer.status).toBe(200);
      }
    }
    plan = HEALTHY;
    await target.expectStillServing();
  });

  it('converts generated /v1/messages bodies and backend answers without a 5xx, every stream ending with its terminal event', async () => {
    let reached = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(messagesBody, upstreamPlan, async (body, p) => {
        plan = p;
        runs += 1;
        if (await send('/v1/messages', body)) reached += 1;
      }),
      { numRuns: 300, interruptAfterTimeLimit: 60_000 },
    );
    expect(reached).toBeGreaterThan(runs / 2);
    plan = HEALTHY;
    await target.expectStillServing();
  });
});
