import { PassThrough, Readable, Writable } from 'node:stream';
import type { Response } from 'express';
import { discardBody, headerSafe, pump } from './response-relay';
import { SseMonitor } from './sse-monitor';

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

describe('pump', () => {
  /** A client connection that records each write it gets. */
  function client() {
    const writes: string[] = [];
    const res = new Writable({
      write(chunk: Buffer, _encoding, done) {
        writes.push(chunk.toString());
        done();
      },
    });
    return { res: res as unknown as Response, writes };
  }
  const options = { requireTerminator: false, tailBytes: 0, backendName: 'test' };

  it('writes the events that arrive together as one write, in order and byte for byte', async () => {
    const body = new PassThrough();
    const { res, writes } = client();
    const done = pump(body, res, options);
    const events = Array.from({ length: 50 }, (_, i) => `data: {"n":${i}}\n\n`);
    for (const event of events) body.write(event);
    body.end();
    const result = await done;
    expect(writes).toEqual([events.join('')]);
    expect(result.bytes).toBe(Buffer.byteLength(events.join('')));
  });

  it('writes what has arrived at once, without waiting for the rest of the stream', async () => {
    const body = new PassThrough();
    const { res, writes } = client();
    const done = pump(body, res, options);
    body.write('data: {"n":1}\n\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual(['data: {"n":1}\n\n']);
    body.write('data: {"n":2}\n\n');
    body.end();
    await done;
    expect(writes).toEqual(['data: {"n":1}\n\n', 'data: {"n":2}\n\n']);
  });

  it('relays the events that came before a reset, then ends with an error event', async () => {
    const body = new PassThrough();
    const { res, writes } = client();
    const done = pump(body, res, { ...options, monitor: new SseMonitor() });
    body.write('data: {"n":1}\n\n');
    body.destroy(new Error('socket hang up'));
    const result = await done;
    expect(result.failure).toBe('reset');
    expect(writes[0]).toBe('data: {"n":1}\n\n');
    expect(writes.join('')).toMatch(/"code":"upstream_stream_error"/);
  });
});
