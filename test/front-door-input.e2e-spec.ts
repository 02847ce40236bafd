import { FakeUpstream } from './fake-upstream';
import { auth, backend, ROUTER_KEY, startRouter, type RunningRouter } from './router-harness';
import { chatRequests, scriptChat } from './responses-upstream';

// Issue 19, findings 1 and 6: a body whose fields the bridges echo or stringify (metadata, reasoning,
// tool_choice, function_call arguments and outputs) is checked where it comes in. A hostile one is a 400
// in the caller's dialect before any backend is called, never a 500 or a dead process.

const DEEP = '__deep__';
/** A placeholder for {"a":{"a":…}} nested 5,000 levels deep: put in the JSON text by post(), as JSON.stringify cannot. */
const nested = (_depth: 5000) => DEEP;
const deepJson = `${'{"a":'.repeat(5000)}"x"${'}'.repeat(5000)}`;

describe('front doors: hostile input is refused at the door', () => {
  let up: FakeUpstream;
  let router: RunningRouter;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    scriptChat(up, [{ text: 'Hello.' }]);
    router = await startRouter({ backends: [backend('chat', up.url)] });
  });
  afterAll(async () => {
    await router?.close();
    await up?.close();
  });
  beforeEach(() => (up.requests.length = 0));

  const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
    fetch(`${router.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body).replaceAll(`"${DEEP}"`, deepJson) });

  async function expectOpenAI400(res: Response, param?: string): Promise<void> {
    const body = await res.json();
    expect(res.status).toBe(400);
    expect(body.error).toMatchObject({ type: 'invalid_request_error' });
    if (param) expect(body.error.param).toBe(param);
  }

  it.each([
    ['streamed', true],
    ['not streamed', false],
  ])('refuses a metadata object nested 5,000 levels deep (%s) and keeps serving', async (_what, stream) => {
    const res = await post('/v1/responses', { model: 'chat/m', input: 'hi', stream, metadata: { deep: nested(5000) } });
    await expectOpenAI400(res, 'metadata');
    expect(chatRequests(up)).toHaveLength(0);
    expect((await fetch(`${router.url}/health/live`)).status).toBe(200);
  });

  it.each([
    ['more than 16 keys', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))],
    ['a value that is not a string', { n: 1 }],
    ['a key longer than 64 characters', { ['k'.repeat(65)]: 'v' }],
    ['a value longer than 512 characters', { k: 'v'.repeat(513) }],
    ['an array', ['v']],
  ])('refuses metadata with %s', async (_what, metadata) => {
    await expectOpenAI400(await post('/v1/responses', { model: 'chat/m', input: 'hi', metadata }), 'metadata');
  });

  it.each([
    ['reasoning', { reasoning: nested(5000) }],
    ['tool_choice', { tool_choice: nested(5000) }],
    ['text', { text: nested(5000) }],
    ['store', { store: 'yes' }],
    ['truncation', { truncation: { mode: 'auto' } }],
    ['previous_response_id', { previous_response_id: { id: 'resp_1' } }],
  ])('refuses an echoed field %s of the wrong shape', async (param, fields) => {
    await expectOpenAI400(await post('/v1/responses', { model: 'chat/m', input: 'hi', stream: true, ...fields }), param);
    expect(chatRequests(up)).toHaveLength(0);
  });

  it('still answers a body with well-formed echoed fields, and echoes them', async () => {
    const metadata = { ticket: 'T-1', owner: 'ops' };
    const res = await post('/v1/responses', { model: 'chat/m', input: 'hi', metadata, reasoning: { effort: 'low' }, truncation: 'auto', store: false });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.metadata).toEqual(metadata);
    expect(body.truncation).toBe('auto');
    expect(body.output_text ?? body.output[0].content[0].text).toBe('Hello.');
  });

  const deepCall = { type: 'function_call', call_id: 'c1', name: 'f', arguments: nested(5000) };
  const deepOutput = { type: 'function_call_output', call_id: 'c1', output: nested(5000) };
  it.each([
    ['function_call.arguments in /v1/responses', '/v1/responses', [deepCall]],
    ['function_call_output.output in /v1/responses', '/v1/responses', [{ ...deepCall, arguments: '{}' }, deepOutput]],
    ['function_call.arguments in a Responses-shaped chat body', '/v1/chat/completions', [deepCall]],
    ['function_call_output.output in a Responses-shaped chat body', '/v1/chat/completions', [{ ...deepCall, arguments: '{}' }, deepOutput]],
  ])('answers a deeply nested %s with a 400, not a 500', async (_what, path, input) => {
    for (const stream of [false, true]) {
      const res = await post(path, { model: 'chat/m', input, stream });
      await expectOpenAI400(res);
    }
    expect(chatRequests(up)).toHaveLength(0);
  });

  it('answers deep nesting in an Anthropic body with an Anthropic 400', async () => {
    const res = await post(
      '/v1/messages',
      { model: 'chat/m', max_tokens: 10, stream: true, metadata: { user_id: nested(5000) }, messages: [{ role: 'user', content: 'hi' }] },
      { 'x-api-key': ROUTER_KEY },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(chatRequests(up)).toHaveLength(0);
  });
});
