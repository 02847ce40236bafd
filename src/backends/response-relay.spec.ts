import { Readable } from 'node:stream';
import { discardBody, headerSafe } from './response-relay';

describe('headerSafe', () => {
  it('keeps plain ASCII model names and percent-encodes the rest', () => {
    expect(headerSafe('llama-3.3-70b-versatile')).toBe('llama-3.3-70b-versatile');
    expect(headerSafe('qwen/通义')).toBe(encodeURIComponent('qwen/通义'));
    expect(headerSafe('a\r\nset-cookie: x')).toBe('a%0D%0Aset-cookie%3A%20x');
  });

  it('cuts absurdly long values to a size every client accepts', () => {
    expect(headerSafe('m'.repeat(100_000)).length).toBeLessThan(600);
  });
});

describe('discardBody', () => {
  it('destroys a body whose destroy emits an error nobody listens to, without an uncaught error', async () => {
    const body = new Readable({ read() {} });
    body.push('partial');
    const uncaught = jest.fn();
    process.once('uncaughtException', uncaught);
    discardBody(body);
    body.emit('error', new Error('Request aborted')); // what undici's body does when destroyed early
    await new Promise((r) => setImmediate(r));
    process.off('uncaughtException', uncaught);
    expect(body.destroyed).toBe(true);
    expect(uncaught).not.toHaveBeenCalled();
  });
});
