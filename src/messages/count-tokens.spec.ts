import { countTokens } from 'gpt-tokenizer';
import { OpenAIError } from '../common/openai-error';
import type { JsonObject } from '../common/proxy-context';
import { messagesInput } from './count-tokens';
import { countTexts } from './text-tokens';

// What count_tokens answers, counted on this thread (TokenCounterService runs the same plan on its worker).
const plain = { disallowedSpecial: new Set<string>() };
const countInputTokens = (body: JsonObject) => {
  const input = messagesInput(body);
  return input.tokens + countTexts(input.texts, (text) => countTokens(text, plain));
};

const user = (content: unknown) => ({ model: 'm', messages: [{ role: 'user', content }] });

describe('countInputTokens', () => {
  it('counts the tokens of the text, not its characters', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
    const n = countInputTokens(user(text));
    expect(n).toBeGreaterThanOrEqual(countTokens(text));
    expect(n).toBeLessThan(countTokens(text) + 10);
    expect(n).not.toBe(Math.ceil(text.length / 4));
  });

  it('counts the system prompt, earlier turns, tool calls, tool results and tools', () => {
    const bare = countInputTokens(user('hi'));
    const system = countInputTokens({ ...user('hi'), system: [{ type: 'text', text: 'You are a careful coding assistant.' }] });
    const tools = countInputTokens({ ...user('hi'), tools: [{ name: 'Read', description: 'Reads a file from disk', input_schema: { type: 'object', properties: { path: { type: 'string' } } } }] });
    const history = countInputTokens({
      model: 'm',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Read', input: { path: '/etc/hosts' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: '127.0.0.1 localhost' }] },
      ],
    });
    expect(system).toBeGreaterThan(bare + 5);
    expect(tools).toBeGreaterThan(bare + 10);
    expect(history).toBeGreaterThan(bare + 10);
  });

  it('adds an estimate for each image', () => {
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } };
    expect(countInputTokens(user([image, image])) - countInputTokens(user([image]))).toBe(1600);
  });

  it('counts text that contains special-token markers instead of refusing it', () => {
    expect(countInputTokens(user('a <|endoftext|> b'))).toBeGreaterThan(0);
  });

  it('refuses, as a 400, tool input nested deeper than JSON.stringify can walk', () => {
    let input: Record<string, unknown> = {};
    for (let i = 0; i < 20000; i++) input = { a: input };
    const body = { model: 'm', messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input }] }] };
    expect(() => countInputTokens(body)).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining('nested too deeply') }));
  });

  it('refuses a body that is not a Messages request', () => {
    expect(() => countInputTokens({ model: 'm', messages: 'hi' })).toThrow(OpenAIError);
  });
});
