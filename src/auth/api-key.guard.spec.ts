import { invalidKeyMessage } from './api-key.guard';
import { presentedKey } from './presented-key';

describe('presentedKey', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER   abc  ', 'abc'],
    ['  Bearer abc', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['abc', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (header, key) => {
    expect(presentedKey({ headers: { authorization: header } })).toBe(key);
  });
});

describe('invalidKeyMessage', () => {
  it.each([
    ['sk-proj-abcdefghijklmnop1234567890', 'an OpenAI API key'],
    ['sk-abcdef1234567890', 'an OpenAI API key'],
    ['sk-ant-api03-abcdef123456', 'an Anthropic API key'],
    ['gsk_abcdef1234567890', 'a Groq API key'],
  ])('says %s looks like %s without echoing it', (key, provider) => {
    const message = invalidKeyMessage(key);
    expect(message).toContain(provider);
    expect(message).toContain('LLM-router key');
    expect(message).not.toContain(key);
    expect(message).not.toContain(key.slice(4, 12));
  });

  it.each([['rsk_wrong_key_value'], ['hunter2'], ['x'.repeat(200)]])('never echoes another wrong key (%s)', (key) => {
    const message = invalidKeyMessage(key);
    expect(message).toMatch(/^Incorrect API key provided/);
    expect(message).not.toContain(key);
  });
});
