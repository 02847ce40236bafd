import { isMessagesPath } from './messages-path';

describe('isMessagesPath', () => {
  it.each([
    ['/v1/messages', true],
    ['/messages', true],
    ['/v1/messages/count_tokens', true],
    ['/messages/count_tokens?beta=true', true],
    ['/v1/messages?beta=true', true],
    ['/v1/chat/completions', false],
    ['/v1/messagesx', false],
    ['/v2/messages', false],
    [undefined, false],
  ])('treats %s as a Messages path: %s', (path, expected) => {
    expect(isMessagesPath(path)).toBe(expected);
  });
});
