import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { FakeUpstream } from './fake-upstream';
import { auth, backend, startRouter, type RunningRouter } from './router-harness';
import { chatRequests, scriptChat } from './responses-upstream';

// A recorded Codex CLI request (store: false, reasoning items and an apply_patch custom tool call in the
// input) replayed through the router to a chat-only backend, and the event stream checked the way Codex
// reads it: every item announced before its deltas, finished with the complete item, response.completed last.

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'responses', 'codex-cli-second-turn.json'), 'utf8'));
const PATCH = '*** Begin Patch\n*** Update File: hello.py\n@@\n+def farewell(name):\n+    return f"Bye, {name} \u2014 \u00e0 bient\u00f4t!"\n*** End Patch\n';

type Event = Record<string, any>;

function parseSse(text: string): Event[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const event = block.split('\n').find((l) => l.startsWith('event: '))?.slice(7);
      const data = JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
      expect(event).toBe(data.type); // Codex dispatches on the data's type; the event line must agree
      return data;
    });
}

describe('Responses bridge: a recorded Codex CLI turn', () => {
  let up: FakeUpstream;
  let router: RunningRouter;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    router = await startRouter({ backends: [backend('ollama', up.url, { default: true, role_rewrites: { developer: 'system' } })] });
  });
  afterAll(async () => {
    await router?.close();
    await up?.close();
  });

  const replay = (body: Record<string, unknown>) =>
    fetch(`${router.url}/v1/responses`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify(body) });

  it('sends the backend the whole conversation as chat, with apply_patch as a function taking the raw patch', async () => {
    scriptChat(up, [{ reasoning: 'Add farewell next.', text: 'Adding farewell().', toolCalls: [{ id: 'call_p2', name: 'apply_patch', arguments: JSON.stringify({ input: PATCH }) }] }]);
    const res = await replay(fixture.request);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    await res.text();
    const sent = chatRequests(up)[0].body;
    expect(sent.model).toBe('qwen3-coder');
    expect(sent.messages.map((m: any) => m.role)).toEqual(['system', 'system', 'user', 'user', 'assistant', 'tool', 'assistant', 'tool']);
    expect(sent.messages[0].content).toBe(fixture.request.instructions);
    expect(sent.messages[4].tool_calls).toEqual([{ id: 'call_patch_1', type: 'function', function: { name: 'apply_patch', arguments: JSON.stringify({ input: fixture.request.input[4].input }) } }]);
    expect(sent.messages[5]).toEqual({ role: 'tool', tool_call_id: 'call_patch_1', content: fixture.request.input[5].output });
    expect(sent.messages[6].tool_calls[0]).toMatchObject({ id: 'call_exec_2', function: { name: 'exec_command' } });
    const applyPatch = sent.tools.find((t: any) => t.function.name === 'apply_patch').function;
    expect(applyPatch.parameters.required).toEqual(['input']);
    expect(applyPatch.description).toContain('FREEFORM');
    expect(applyPatch.parameters.properties.input.description).toContain('start: begin_patch hunk+ end_patch');
    expect(sent).toMatchObject({ stream: true, stream_options: { include_usage: true }, tool_choice: 'auto', parallel_tool_calls: false });
    // Ollama's config does not say it takes reasoning_effort: Codex's reasoning.effort stays with the router.
    for (const key of ['reasoning_effort', 'input', 'instructions', 'store', 'include', 'prompt_cache_key', 'text', 'reasoning']) expect(Object.keys(sent)).not.toContain(key);
  });

  it('streams events in the order Codex needs and ends with response.completed carrying every item', async () => {
    scriptChat(up, [{ reasoning: 'Add farewell next.', text: 'Adding farewell().', toolCalls: [{ id: 'call_p2', name: 'apply_patch', arguments: JSON.stringify({ input: PATCH }) }] }]);
    const events = parseSse(await (await replay(fixture.request)).text());
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events[0].type).toBe('response.created');
    const last = events[events.length - 1];
    expect(last.type).toBe('response.completed');
    expect(events.filter((e) => e.type === 'response.completed')).toHaveLength(1);

    const added = new Map<string, number>();
    const done = new Map<string, Event>();
    events.forEach((e, i) => {
      if (e.type === 'response.output_item.added') added.set(e.item.id, i);
      if (e.item_id !== undefined) {
        expect(added.has(e.item_id)).toBe(true);
        expect(done.has(e.item_id)).toBe(false);
      }
      if (e.type === 'response.output_item.done') done.set(e.item.id, e.item);
    });
    const items = [...done.values()];
    expect(items.map((i) => i.type)).toEqual(['reasoning', 'message', 'custom_tool_call']);
    expect(items[0].summary[0].text).toBe('Add farewell next.');
    expect(items[1].content[0].text).toBe('Adding farewell().');
    expect(items[2]).toEqual({ type: 'custom_tool_call', id: expect.any(String), call_id: 'call_p2', name: 'apply_patch', input: PATCH, status: 'completed' });
    const streamedPatch = events.filter((e) => e.type === 'response.custom_tool_call_input.delta').map((e) => e.delta).join('');
    expect(streamedPatch).toBe(PATCH);
    expect(last.response.output).toEqual(items);
    expect(last.response.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    expect(last.response.store).toBe(false);
  });

  it('keeps nothing for store: false', async () => {
    scriptChat(up, [{ text: 'ok' }]);
    const events = parseSse(await (await replay(fixture.request)).text());
    const id = events[events.length - 1].response.id;
    const res = await fetch(`${router.url}/v1/responses/${id}`, { headers: auth });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.message).toContain(id);
  });

  it('answers with the web_search tool Codex adds by default left out for a chat backend', async () => {
    const before = chatRequests(up).length;
    scriptChat(up, [{ text: 'Done.' }, { text: 'Done.' }]);
    await (await replay(fixture.request)).text();
    const res = await replay({ ...fixture.request, tools: [...fixture.request.tools, { type: 'web_search', external_web_access: false }] });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('response.completed');
    const [without, withSearch] = chatRequests(up).slice(before).map((r) => r.body.tools);
    expect(withSearch).toEqual(without);
    expect(JSON.stringify(withSearch)).not.toContain('web_search');
  });

  it("refuses Codex's WebSocket attempt on /v1/responses with 426 at once, so Codex falls back to HTTP", async () => {
    const upgrade = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${router.url}/v1/responses`, {
          headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'openai-beta': 'responses_websockets=2026-02-06', ...headers },
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('upgrade', () => reject(new Error('the router accepted a WebSocket upgrade')));
        req.on('error', reject);
        req.end();
      });
    const before = chatRequests(up).length;
    const refused = await upgrade(auth);
    expect(refused.status).toBe(426);
    expect(JSON.parse(refused.body).error).toMatchObject({ code: 'websocket_not_supported', type: 'invalid_request_error' });
    expect((await upgrade({})).status).toBe(401);
    expect(chatRequests(up)).toHaveLength(before);
  });
});
