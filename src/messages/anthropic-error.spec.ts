import { anthropicErrorType, isMessagesPath } from './anthropic-error';

describe('Anthropic error dialect', () => {
  it.each([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'request_too_large'],
    [415, 'invalid_request_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [503, 'overloaded_error'],
    [504, 'api_error'],
  ])('names status %d %s', (status, type) => {
    expect(anthropicErrorType(status)).toBe(type);
  });

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
