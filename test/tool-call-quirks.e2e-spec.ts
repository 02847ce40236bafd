import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { chunk } from './chat-chunks';
import { FakeUpstream, sse } from './fake-upstream';
import { backend, ROUTER_KEY, RunningRouter, startRouter } from './router-harness';

// Tool calls the way some chat backends stream them, read through both bridged front doors with the
// real client libraries: Ollama's whole calls with the arguments as an object, and parallel calls whose
// heads (id and name) all come first, arguments after.

const tools = { f: { a: 1 }, g: { b: 2 } };

/** Ollama: every call whole in one chunk, arguments as an object, no ids. */
const ollamaCalls = [
  chunk({ role: 'assistant', content: '', tool_calls: [{ function: { name: 'f', arguments: { a: 1 } } }, { function: { name: 'g', arguments: { b: 2 } } }] }),
  chunk({}, 'stop'),
];

/** Both heads first, then each call's arguments. */
const headsFirst = [
  chunk({ tool_calls: [0, 1].map((index) => ({ index, id: `call_${index}`, type: 'function', function: { name: index ? 'g' : 'f', arguments: '' } })) }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }),
  chunk({ tool_calls: [{ index: 1, function: { arguments: '{"b":2}' } }] }),
  chunk({}, 'tool_calls'),
];

describe('tool calls in backend quirks', () => {
  let chat: FakeUpstream;
  let router: RunningRouter;
  let chunks: unknown[] = [];

  beforeAll(async () => {
    chat = await FakeUpstream.start();
    chat.handle((_req, res) => sse(res, chunks));
    router = await startRouter({ backends: [backend('chat', chat.url, { retries: 0 })] });
  });

  afterAll(async () => {
    await router?.close();
    await chat?.close();
  });

  describe.each([
    ['Ollama object arguments', ollamaCalls],
    ['heads first', headsFirst],
  ])('%s', (_name, sent) => {
    beforeEach(() => (chunks = sent));

    it('gives the openai SDK each function call with its arguments', async () => {
      const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: ROUTER_KEY, maxRetries: 0 });
      const fnTools = Object.keys(tools).map((name) => ({ type: 'function' as const, name, parameters: { type: 'object' }, strict: false }));
      const stream = client.responses.stream({ model: 'chat/m', input: 'go', tools: fnTools });
      const argsDone: string[] = [];
      stream.on('response.function_call_arguments.done', (e) => argsDone.push(e.arguments));
      const response = await stream.finalResponse();
      const calls = response.output.filter((o) => o.type === 'function_call');
      expect(calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual(Object.entries(tools));
      expect(argsDone.map((a) => JSON.parse(a))).toEqual(Object.values(tools));
    });

    it('gives the Anthropic SDK each tool_use with its input', async () => {
      const client = new Anthropic({ baseURL: router.url, apiKey: ROUTER_KEY, maxRetries: 0 });
      const message = await client.messages
        .stream({ model: 'chat/m', max_tokens: 50, messages: [{ role: 'user', content: 'go' }], tools: Object.keys(tools).map((name) => ({ name, input_schema: { type: 'object' as const } })) })
        .finalMessage();
      expect(message.content.map((b) => (b.type === 'tool_use' ? [b.name, b.input] : b.type))).toEqual(Object.entries(tools));
      expect(message.stop_reason).toBe('tool_use');
    });
  });
});
