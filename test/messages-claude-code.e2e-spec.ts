import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { chunk, usageChunk } from './chat-chunks';
import { FakeUpstream, json, sse } from './fake-upstream';
import { anthropicEvents as events } from './messages-sse';
import { waitFor } from './ops-spawn';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// A recorded Claude Code turn replayed end to end through a chat-only backend, and a backend that speaks
// the Messages API itself, which gets the request untouched with its own key.

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'anthropic', 'claude-code-tool-result-turn.json'), 'utf8')) as {
  path: string;
  headers: Record<string, string>;
  body: Record<string, any>;
};

describe('messages: a Claude Code turn, and native Messages backends', () => {
  let chat: FakeUpstream;
  let anthropic: FakeUpstream;
  let router: RunningRouter;
  let client: Anthropic;

  beforeAll(async () => {
    [chat, anthropic] = await Promise.all([FakeUpstream.start(), FakeUpstream.start()]);
    router = await startRouter(
      {
        aliases: { 'claude-sonnet-4-5-20250929': 'chat/qwen3-coder:30b' },
        backends: [
          backend('chat', chat.url, { key_env_var: 'CHAT_KEY', reasoning_effort: true }),
          backend('anthropic', anthropic.url, { endpoints: ['messages'], key_env_var: 'ANTHROPIC_BACKEND_KEY', require_api_key: true }),
        ],
      },
      { CHAT_KEY: 'chat_backend_key', ANTHROPIC_BACKEND_KEY: 'sk-ant-backend-own-key' },
    );
    client = new Anthropic({ baseURL: router.url, apiKey: 'unused', defaultHeaders: { 'X-Api-Key': ROUTER_KEY, Authorization: null }, maxRetries: 0 });
  });

  afterAll(async () => {
    await router?.close();
    await Promise.all([chat, anthropic].map((f) => f?.close()));
  });

  it('replays a recorded Claude Code turn: converted for the chat backend, answered as an Anthropic stream', async () => {
    chat.handle((_req, res) =>
      sse(res, [
        chunk({ role: 'assistant', reasoning_content: 'The discount parameter is never used.' }),
        chunk({ content: 'The `discount` argument is ignored. ' }),
        chunk({ content: 'I will apply it.' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_edit_1', type: 'function', function: { name: 'Edit', arguments: '{"file_path":"/home/dev/shop/src/cart.ts",' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"old_string":"return items","new_string":"return (1 - discount) * items"}' } }] }),
        chunk({}, 'tool_calls'),
        usageChunk(4200, 85),
      ]),
    );
    const res = await fetch(`${router.url}${fixture.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...fixture.headers, 'x-api-key': ROUTER_KEY },
      body: JSON.stringify(fixture.body),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const list = events(await res.text());
    expect(list.map((e) => (e.event === 'content_block_start' ? `start:${e.data.content_block.type}` : e.event))).toEqual([
      'message_start',
      'start:thinking',
      'content_block_delta',
      'content_block_stop',
      'start:text',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'start:tool_use',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(list.map((e) => e.data?.index).filter((i) => i !== undefined)).toEqual([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(list[0].data.message.model).toBe('claude-sonnet-4-5-20250929');
    expect(list[8].data.content_block).toEqual({ type: 'tool_use', id: 'call_edit_1', name: 'Edit', input: {} });
    const input = list.filter((e) => e.data?.delta?.type === 'input_json_delta').map((e) => e.data.delta.partial_json).join('');
    expect(JSON.parse(input)).toEqual({ file_path: '/home/dev/shop/src/cart.ts', old_string: 'return items', new_string: 'return (1 - discount) * items' });
    expect(list[12].data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 4200, output_tokens: 85, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });

    const sent = chat.last;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body.model).toBe('qwen3-coder:30b');
    expect(sent.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(sent.body.messages[0].content).toMatch(/^You are Claude Code, Anthropic's official CLI for Claude\.\n\n\nYou are an interactive CLI tool/);
    expect(sent.body.messages[2]).toEqual({
      role: 'assistant',
      content: "I'll read the cart module.",
      tool_calls: [{ id: 'toolu_01A9fQk3LrVx7bTz2Jm8cWdE', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/home/dev/shop/src/cart.ts"}' } }],
    });
    expect(sent.body.messages[3]).toEqual({ role: 'tool', tool_call_id: 'toolu_01A9fQk3LrVx7bTz2Jm8cWdE', content: fixture.body.messages[2].content[0].content });
    expect(sent.body.tools).toHaveLength(fixture.body.tools.length);
    expect(sent.body.tools[5]).toEqual({ type: 'function', function: { name: 'Read', description: fixture.body.tools[5].description, parameters: fixture.body.tools[5].input_schema } });
    expect(sent.body).toMatchObject({ max_tokens: 32000, temperature: 1, reasoning_effort: 'high', stream: true, stream_options: { include_usage: true } });
    // Claude Code's user_id (ids joined, over 64 characters) is no OpenAI `user`: it stays with the router.
    expect(Object.keys(sent.body)).not.toContain('user');
    expect(sent.rawBody).not.toContain('cache_control');
    expect(sent.rawBody).not.toContain('The user wants me to inspect'); // thinking in the history is dropped
    expect(sent.headers.authorization).toBe('Bearer chat_backend_key');
    expect(Object.keys(sent.headers).filter((h) => h.startsWith('anthropic') || h === 'x-api-key')).toEqual([]);
    expect(sent.rawBody + JSON.stringify(sent.headers)).not.toContain(ROUTER_KEY);

    // Usage and metrics are recorded when the response has closed: poll briefly for them.
    const get = (path: string) => fetch(`${router.url}${path}`, { headers: { Authorization: `Bearer ${ROUTER_KEY}` } });
    let rows: { model: string; total_tokens: number }[] = [];
    await waitFor(async () => {
      rows = ((await (await get('/v1/usage')).json()) as { windows: { data: typeof rows }[] }).windows[0].data;
      return rows.length > 0;
    }, 5_000);
    expect(rows).toContainEqual(expect.objectContaining({ model: 'claude-sonnet-4-5-20250929', total_tokens: 4285 }));
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/llmrouter_prompt_tokens_total\{[^}]*backend="chat"[^}]*model="claude-sonnet-4-5-20250929"[^}]*\} 4200/);
    expect(metrics).toMatch(/llmrouter_requests_total\{[^}]*backend="chat"[^}]*model="claude-sonnet-4-5-20250929"[^}]*status="200"[^}]*\} 1/);
  });

  it('counts the tokens of the recorded turn locally, on both paths', async () => {
    const before = chat.requests.length + anthropic.requests.length;
    const { model, messages, system, tools, thinking } = fixture.body;
    const counts: number[] = [];
    for (const path of ['/v1/messages/count_tokens?beta=true', '/messages/count_tokens']) {
      const res = await fetch(`${router.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...fixture.headers, 'x-api-key': ROUTER_KEY },
        body: JSON.stringify({ model, messages, system, tools, thinking }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { input_tokens: number };
      expect(Object.keys(body)).toEqual(['input_tokens']);
      counts.push(body.input_tokens);
    }
    expect(counts[0]).toBe(counts[1]);
    // More than the tool definitions' JSON alone would be at one token per 8 characters, less than one per character.
    const toolChars = JSON.stringify(tools).length;
    expect(counts[0]).toBeGreaterThan(toolChars / 8);
    expect(counts[0]).toBeLessThan(JSON.stringify(fixture.body).length);
    expect(chat.requests.length + anthropic.requests.length).toBe(before);
  });

  describe('a backend that serves the Messages API itself', () => {
    const anthropicAnswer = {
      id: 'msg_native_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: 'native hello' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 3 },
    };

    it('gets the request untouched, with its own key as x-api-key and never the router key', async () => {
      anthropic.handle((_req, res) => json(res, 200, anthropicAnswer));
      const body = { ...fixture.body, model: 'anthropic/claude-sonnet-4-6', stream: false };
      const res = await fetch(`${router.url}${fixture.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...fixture.headers, 'x-api-key': ROUTER_KEY },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(anthropicAnswer);
      const sent = anthropic.last;
      expect(sent.path).toBe('/v1/messages');
      expect(sent.body).toEqual({ ...body, model: 'claude-sonnet-4-6' });
      expect(sent.headers['x-api-key']).toBe('sk-ant-backend-own-key');
      expect(sent.headers.authorization).toBeUndefined();
      expect(sent.headers['anthropic-version']).toBe('2023-06-01');
      expect(sent.headers['anthropic-beta']).toBe(fixture.headers['anthropic-beta']);
      expect(sent.rawBody + JSON.stringify(sent.headers)).not.toContain(ROUTER_KEY);
    });

    it('judges requests itself: content the chat conversion cannot take still reaches it', async () => {
      anthropic.handle((_req, res) => json(res, 200, anthropicAnswer));
      const fileImage = { type: 'image', source: { type: 'file', file_id: 'file_011CNha8iCJcU1wXNR6q4V8w' } };
      const res = await fetch(`${router.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': ROUTER_KEY, 'anthropic-beta': 'files-api-2025-04-14' },
        body: JSON.stringify({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: [fileImage] }] }),
      });
      expect(res.status).toBe(200);
      expect(anthropic.last.body.messages[0].content).toEqual([fileImage]);
      expect(anthropic.last.headers['anthropic-version']).toBe('2023-06-01');

      const viaChat = await fetch(`${router.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': ROUTER_KEY },
        body: JSON.stringify({ model: 'claude-sonnet-4-5-20250929', max_tokens: 10, messages: [{ role: 'user', content: [fileImage] }] }),
      });
      expect(viaChat.status).toBe(400);
      expect(await viaChat.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('source') } });
    });

    it('relays its event stream as it is, without an error event at the end', async () => {
      anthropic.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        send('message_start', { type: 'message_start', message: { ...anthropicAnswer, content: [], stop_reason: null, usage: { input_tokens: 12, output_tokens: 1 } } });
        send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
        send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'native stream' } });
        send('content_block_stop', { type: 'content_block_stop', index: 0 });
        send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } });
        send('message_stop', { type: 'message_stop' });
        res.end();
      });
      const final = await client.messages.stream({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
      expect(final).toMatchObject({ id: 'msg_native_1', content: [{ type: 'text', text: 'native stream' }], stop_reason: 'end_turn', usage: { input_tokens: 12, output_tokens: 3 } });
      expect(anthropic.last.headers['x-api-key']).toBe('sk-ant-backend-own-key');
    });
  });

  it("answers Claude Code's connectivity check, HEAD and GET /api/hello, with 200", async () => {
    expect((await fetch(`${router.url}/api/hello`, { method: 'HEAD' })).status).toBe(200);
    const res = await fetch(`${router.url}/api/hello`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
