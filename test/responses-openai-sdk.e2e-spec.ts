import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { FakeUpstream } from './fake-upstream';
import { auth, backend, ROUTER_KEY, startRouter, type RunningRouter } from './router-harness';
import { chatRequests, scriptChat, USAGE } from './responses-upstream';

// The official openai SDK against the built router, whose only backend is a chat-only fake: every
// Responses call is bridged to /chat/completions and must come back as a complete, typed Responses answer.

const BOB = 'rsk_bob_responses_0123456789';
const sha = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');
const weatherTool = { type: 'function' as const, name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false };

describe('Responses bridge: the openai SDK on a chat-only backend', () => {
  let up: FakeUpstream;
  let router: RunningRouter;
  let client: OpenAI;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    router = await startRouter({ backends: [backend('ollama', up.url, { default: true, reasoning_effort: true })], api_keys: [{ name: 'bob', key_sha256: sha(BOB) }] });
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await router?.close();
    await up?.close();
  });
  beforeEach(() => {
    up.requests.length = 0;
  });

  it('answers responses.create with a complete response, sending the backend a chat request', async () => {
    scriptChat(up, [{ text: 'Hello Ada.' }]);
    const response = await client.responses.create({ model: 'ollama/llama3.2', instructions: 'Be brief.', input: 'Hi, I am Ada.', temperature: 0.2, max_output_tokens: 50 });
    expect(response.id).toMatch(/^resp_/);
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.model).toBe('ollama/llama3.2');
    expect(response.output_text).toBe('Hello Ada.');
    expect(response.instructions).toBe('Be brief.');
    expect(response.temperature).toBe(0.2);
    expect(response.usage).toMatchObject({ input_tokens: USAGE.prompt_tokens, output_tokens: USAGE.completion_tokens, total_tokens: USAGE.total_tokens, input_tokens_details: { cached_tokens: 4 } });
    const sent = chatRequests(up)[0];
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toEqual({
      model: 'llama3.2',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi, I am Ada.' },
      ],
      temperature: 0.2,
      max_tokens: 50,
    });
  });

  it('returns tool calls as function_call items and carries function_call_output into the next turn', async () => {
    scriptChat(up, [{ reasoning: 'Need the weather.', toolCalls: [{ id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}' }] }, { text: 'It is 18 °C in Paris.' }]);
    const first = await client.responses.create({ model: 'ollama/m', input: 'Weather in Paris?', tools: [weatherTool] });
    expect(first.output.map((i) => i.type)).toEqual(['reasoning', 'function_call']);
    const call = first.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ call_id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' });
    expect(chatRequests(up)[0].body.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: weatherTool.parameters, strict: false } }]);

    const second = await client.responses.create({
      model: 'ollama/m',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '18 °C' }],
      tools: [weatherTool],
    });
    expect(second.output_text).toBe('It is 18 °C in Paris.');
    expect(second.previous_response_id).toBe(first.id);
    expect(chatRequests(up)[1].body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_w1', content: '18 °C' },
    ]);
  });

  it('streams with responses.stream(): typed events in order and a complete final response', async () => {
    scriptChat(up, [{ reasoning: 'Thinking it over.', text: 'The answer is 42.' }]);
    const stream = client.responses.stream({ model: 'ollama/m', input: 'The answer?', reasoning: { effort: 'low' } });
    const types: string[] = [];
    let text = '';
    stream.on('response.output_text.delta', (e) => (text += e.delta));
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    expect(text).toBe('The answer is 42.');
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('The answer is 42.');
    expect(final.output.map((i) => i.type)).toEqual(['reasoning', 'message']);
    expect((final.output[0] as OpenAI.Responses.ResponseReasoningItem).summary[0].text).toBe('Thinking it over.');
    expect(final.usage?.total_tokens).toBe(USAGE.total_tokens);
    expect(types[0]).toBe('response.created');
    expect(types[types.length - 1]).toBe('response.completed');
    expect(types.indexOf('response.output_item.added')).toBeLessThan(types.indexOf('response.reasoning_summary_text.delta'));
    expect(types.lastIndexOf('response.reasoning_summary_text.delta')).toBeLessThan(types.indexOf('response.output_text.delta'));
    expect(chatRequests(up)[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true }, reasoning_effort: 'low' });
  });

  it('streams a tool call: argument deltas, then the complete item', async () => {
    scriptChat(up, [{ toolCalls: [{ id: 'call_s', name: 'get_weather', arguments: '{"city":"Rome","unit":"c"}' }] }]);
    const stream = client.responses.stream({ model: 'ollama/m', input: 'Weather in Rome?', tools: [weatherTool] });
    let args = '';
    stream.on('response.function_call_arguments.delta', (e) => (args += e.delta));
    const final = await stream.finalResponse();
    expect(args).toBe('{"city":"Rome","unit":"c"}');
    expect(final.output).toEqual([expect.objectContaining({ type: 'function_call', call_id: 'call_s', name: 'get_weather', arguments: '{"city":"Rome","unit":"c"}', status: 'completed' })]);
  });

  it('keeps responses for GET and DELETE, for the key that created them only', async () => {
    scriptChat(up, [{ text: 'Stored.' }]);
    const created = await client.responses.create({ model: 'ollama/m', input: 'Keep this.' });
    const fetched = await client.responses.retrieve(created.id);
    expect(fetched.output_text).toBe('Stored.');
    const items = await client.responses.inputItems.list(created.id);
    expect(items.data).toEqual([expect.objectContaining({ role: 'user', content: 'Keep this.' })]);

    const bob = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: BOB, maxRetries: 0 });
    await expect(bob.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
    await expect(bob.responses.create({ model: 'ollama/m', previous_response_id: created.id, input: 'x' })).rejects.toMatchObject({ status: 404 });

    await client.responses.delete(created.id);
    await expect(client.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
    const before = chatRequests(up).length;
    const error = await client.responses.create({ model: 'ollama/m', previous_response_id: created.id, input: 'Again' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).message).toContain(created.id);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).type).toBe('invalid_request_error');
    expect(chatRequests(up).length).toBe(before);
  });

  it('keeps nothing with store: false', async () => {
    scriptChat(up, [{ text: 'Not kept.' }]);
    const created = await client.responses.create({ model: 'ollama/m', input: 'x', store: false });
    expect((created as unknown as { store: boolean }).store).toBe(false);
    await expect(client.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
  });

  it('refuses what it cannot honour with a 400 naming the field, before calling the backend', async () => {
    const error = await client.responses.create({ model: 'ollama/m', input: 'Run this', tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('tools[0].type');
    expect((error as Error).message).toContain('code_interpreter');
    const res = await fetch(`${router.url}/v1/responses`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'ollama/m', input: 'x', conversation: 'conv_1' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'conversation' } });
    expect(chatRequests(up)).toHaveLength(0);
  });

  it('marks a length-stopped answer incomplete, streamed or not', async () => {
    scriptChat(up, [{ text: 'Once upon a', finish: 'length' }]);
    const whole = await client.responses.create({ model: 'ollama/m', input: 'Tell a story', max_output_tokens: 3 });
    expect(whole).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    const stream = client.responses.stream({ model: 'ollama/m', input: 'Tell a story', max_output_tokens: 3 });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types[types.length - 1]).toBe('response.incomplete');
    expect((await stream.finalResponse()).status).toBe('incomplete');
  });

  it('raises in the SDK when the backend dies mid-stream', async () => {
    scriptChat(up, [{ text: 'This answer will be cut off here', dieAfter: 4 }]);
    const stream = client.responses.stream({ model: 'ollama/m', input: 'x' });
    const types: string[] = [];
    const failure = await (async () => {
      for await (const event of stream) types.push(event.type);
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(types).toContain('response.output_text.delta');
    expect(types[types.length - 1]).toBe('response.failed');
  });

  it('counts bridged requests and their tokens in the usage report', async () => {
    scriptChat(up, [{ text: 'Counted.' }]);
    await client.responses.create({ model: 'ollama/counted', input: 'x' });
    const stream = client.responses.stream({ model: 'ollama/counted', input: 'y' });
    await stream.finalResponse();
    let row: { requests: number; total_tokens: number } | undefined;
    for (let i = 0; i < 50 && (row?.requests ?? 0) < 2; i++) {
      const usage = (await (await fetch(`${router.url}/v1/usage`, { headers: auth })).json()) as { windows: Array<{ window: string; data: Array<{ model: string; requests: number; total_tokens: number }> }> };
      row = usage.windows.find((w) => w.window === 'day')!.data.find((r) => r.model === 'ollama/counted');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(row).toMatchObject({ requests: 2, total_tokens: 2 * USAGE.total_tokens });
    const metrics = await (await fetch(`${router.url}/metrics`, { headers: auth })).text();
    const sample = (name: string) => Number(metrics.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('model="ollama/counted"'))?.split(' ').pop());
    expect(sample('llmrouter_prompt_tokens_total')).toBe(2 * USAGE.prompt_tokens);
    expect(sample('llmrouter_completion_tokens_total')).toBe(2 * USAGE.completion_tokens);
    expect(metrics).toMatch(/llmrouter_requests_total\{[^}]*model="ollama\/counted"[^}]*status="200"[^}]*\} 2/);
  });
});
