import { invalidKeyMessage } from './api-key.guard';
import { presentedKey } from '../auth/presented-key';

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

describe('presentedKey on the Anthropic Messages paths', () => {
  it.each([
    ['x-api-key on chat (not accepted there)', '/v1/chat/completions', { 'x-api-key': 'abc' }, undefined],
    ['x-api-key on messages', '/v1/messages', { 'x-api-key': 'abc' }, 'abc'],
    ['x-api-key on count_tokens without /v1, with a query', '/messages/count_tokens?beta=true', { 'x-api-key': ' abc ' }, 'abc'],
    ['a Bearer key on messages', '/v1/messages', { authorization: 'Bearer abc' }, 'abc'],
    ['both on messages: the Bearer key', '/v1/messages', { authorization: 'Bearer abc', 'x-api-key': 'other' }, 'abc'],
    ['an empty x-api-key', '/v1/messages', { 'x-api-key': '' }, undefined],
  ])('reads %s', (_what, url, headers, key) => {
    expect(presentedKey({ url, headers })).toBe(key);
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
