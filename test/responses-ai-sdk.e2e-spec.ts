import { createOpenAI } from '@ai-sdk/openai';
import { generateObject, generateText, jsonSchema, stepCountIs, streamText, tool, type ModelMessage } from 'ai';
import { FakeUpstream } from './fake-upstream';
import { backend, ROUTER_KEY, startRouter, type RunningRouter } from './router-harness';
import { chatRequests, scriptChat, USAGE } from './responses-upstream';

// The Vercel AI SDK's default OpenAI model (`openai(model)` calls /v1/responses) against the built router
// whose only backend speaks Chat Completions. The SDK's own fetch is wrapped to see what it sent.

const weather = tool({
  description: 'Weather in a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
});

describe('Responses bridge: the AI SDK on a chat-only backend', () => {
  let up: FakeUpstream;
  let router: RunningRouter;
  const sent: any[] = [];
  let openai: ReturnType<typeof createOpenAI>;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    router = await startRouter({ backends: [backend('ollama', up.url, { default: true })] });
    openai = createOpenAI({
      baseURL: `${router.url}/v1`,
      apiKey: ROUTER_KEY,
      fetch: async (url, init) => {
        if (typeof init?.body === 'string') sent.push(JSON.parse(init.body));
        return fetch(url, init);
      },
    });
  });
  afterAll(async () => {
    await router?.close();
    await up?.close();
  });
  beforeEach(() => {
    up.requests.length = 0;
    sent.length = 0;
  });

  it('generateText: the text, the finish reason and the usage', async () => {
    scriptChat(up, [{ text: 'Paris is the capital of France.' }]);
    const result = await generateText({ model: openai('ollama/llama3.2'), system: 'Answer in one sentence.', prompt: 'Capital of France?', maxRetries: 0 });
    expect(result.text).toBe('Paris is the capital of France.');
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toMatchObject({ inputTokens: USAGE.prompt_tokens, outputTokens: USAGE.completion_tokens, totalTokens: USAGE.total_tokens });
    expect(result.response.modelId).toBe('ollama/llama3.2');
    expect(chatRequests(up)[0].body.messages).toEqual([
      { role: 'system', content: 'Answer in one sentence.' },
      { role: 'user', content: 'Capital of France?' },
    ]);
  });

  it('streamText: the text as it streams, and reasoning', async () => {
    scriptChat(up, [{ reasoning: 'Simple arithmetic.', text: 'Two plus two is four.' }]);
    const result = streamText({ model: openai('ollama/qwen3'), prompt: '2+2?', maxRetries: 0 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Two plus two is four.');
    expect(await result.reasoningText).toBe('Simple arithmetic.');
    expect(await result.finishReason).toBe('stop');
    expect((await result.usage).totalTokens).toBe(USAGE.total_tokens);
  });

  it('streams a tool call', async () => {
    scriptChat(up, [{ toolCalls: [{ id: 'call_t', name: 'weather', arguments: '{"city":"Oslo"}' }] }]);
    const result = streamText({ model: openai('ollama/m'), prompt: 'Weather in Oslo?', tools: { weather }, maxRetries: 0 });
    const inputDeltas: string[] = [];
    for await (const part of result.fullStream) if (part.type === 'tool-input-delta') inputDeltas.push(part.delta);
    expect(inputDeltas.join('')).toBe('{"city":"Oslo"}');
    expect(await result.toolCalls).toEqual([expect.objectContaining({ toolCallId: 'call_t', toolName: 'weather', input: { city: 'Oslo' } })]);
    expect(await result.finishReason).toBe('tool-calls');
  });

  it('runs a multi-step tool loop: the second request carries the function_call_output', async () => {
    scriptChat(up, [{ reasoning: 'Look it up.', toolCalls: [{ id: 'call_loop', name: 'weather', arguments: '{"city":"Lima"}' }] }, { text: 'It is sunny in Lima.' }]);
    const result = await generateText({
      model: openai('ollama/m'),
      prompt: 'Weather in Lima?',
      tools: { weather: tool({ ...weather, execute: async ({ city }) => `sunny in ${city}` }) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    expect(result.text).toBe('It is sunny in Lima.');
    expect(result.steps).toHaveLength(2);
    // The SDK refers to the stored reasoning of step 1 by id: the router resolves it.
    expect(sent[1].input).toContainEqual({ type: 'item_reference', id: expect.stringMatching(/^rs_/) });
    expect(sent[1].input).toContainEqual(expect.objectContaining({ type: 'function_call_output', call_id: 'call_loop' }));
    expect(chatRequests(up)[1].body.messages).toEqual([
      { role: 'user', content: 'Weather in Lima?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_loop', type: 'function', function: { name: 'weather', arguments: '{"city":"Lima"}' } }] },
      { role: 'tool', tool_call_id: 'call_loop', content: 'sunny in Lima' },
    ]);
  });

  it('continues a chat whose first answer comes back as an item_reference (default store)', async () => {
    scriptChat(up, [{ text: 'Nice to meet you, Ada.' }, { text: 'Your name is Ada.' }]);
    const messages: ModelMessage[] = [{ role: 'user', content: 'I am Ada.' }];
    const first = await generateText({ model: openai('ollama/m'), messages, maxRetries: 0 });
    messages.push(...first.response.messages, { role: 'user', content: 'What is my name?' });
    const second = await generateText({ model: openai('ollama/m'), messages, maxRetries: 0 });
    expect(second.text).toBe('Your name is Ada.');
    expect(sent[1].input).toContainEqual({ type: 'item_reference', id: expect.stringMatching(/^msg_/) });
    expect(chatRequests(up)[1].body.messages).toEqual([
      { role: 'user', content: 'I am Ada.' },
      { role: 'assistant', content: 'Nice to meet you, Ada.' },
      { role: 'user', content: 'What is my name?' },
    ]);
  });

  it('generateObject with a JSON schema', async () => {
    scriptChat(up, [{ text: '{"name":"Ada","age":36}' }]);
    const schema = jsonSchema<{ name: string; age: number }>({ type: 'object', properties: { name: { type: 'string' }, age: { type: 'number' } }, required: ['name', 'age'], additionalProperties: false });
    const result = await generateObject({ model: openai('ollama/m'), schema, prompt: 'Ada, 36', maxRetries: 0 });
    expect(result.object).toEqual({ name: 'Ada', age: 36 });
    expect(chatRequests(up)[0].body.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema: expect.objectContaining({ required: ['name', 'age'] }) } });
  });

  it('surfaces a backend dying mid-stream as an error', async () => {
    scriptChat(up, [{ text: 'This will be cut off mid-way', dieAfter: 3 }]);
    const errors: unknown[] = [];
    const result = streamText({ model: openai('ollama/m'), prompt: 'x', maxRetries: 0, onError: ({ error }) => void errors.push(error) });
    const parts: string[] = [];
    for await (const part of result.fullStream) parts.push(part.type);
    expect(parts).toContain('error');
    expect(errors.length).toBeGreaterThan(0);
    expect(await result.finishReason).toBe('error');
  });
});
