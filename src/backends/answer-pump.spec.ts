import { PassThrough, Writable } from 'node:stream';
import type { Response } from 'express';
import { pumpAnswer } from './answer-pump';
import { SseRelayStage } from './sse-relay-stage';
import { recordingClient } from './recording-client.test-support';


describe('pumpAnswer, plain relay', () => {
  const sse = () => new SseRelayStage('test', 'openai', false);

  it('writes the events that arrive together as one write, in order and byte for byte', async () => {
    const body = new PassThrough();
    const { res, writes } = recordingClient();
    const done = pumpAnswer(body, res, { stage: sse(), tailBytes: 0 });
    const events = Array.from({ length: 50 }, (_, i) => `data: {"n":${i}}\n\n`);
    for (const event of events) body.write(event);
    body.end();
    const result = await done;
    expect(writes).toEqual([events.join('')]);
    expect(result.bytes).toBe(Buffer.byteLength(events.join('')));
  });

  it('writes what has arrived at once, without waiting for the rest of the stream', async () => {
    const body = new PassThrough();
    const { res, writes } = recordingClient();
    const done = pumpAnswer(body, res, { stage: sse(), tailBytes: 0 });
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
    const { res, writes } = recordingClient();
    const done = pumpAnswer(body, res, { stage: sse(), tailBytes: 0 });
    body.write('data: {"n":1}\n\n');
    await new Promise((resolve) => setImmediate(resolve));
    body.destroy(new Error('socket hang up'));
    const result = await done;
    expect(result.failure).toBe('reset');
    expect(writes[0]).toBe('data: {"n":1}\n\n');
    expect(writes.join('')).toMatch(/"code":"upstream_stream_error"/);
  });

  it('relays the sound events before bytes that are not an event stream, then the error event, and stops reading', async () => {
    const body = new PassThrough();
    const { res, writes } = recordingClient();
    const result = pumpAnswer(body, res, { stage: sse(), tailBytes: 0 });
    body.write('data: {"n":1}\n\n<html>502</html>\n');
    expect((await result).failure).toBe('garbage');
    expect(writes.join('')).toMatch(/^data: \{"n":1\}\n\n\n\ndata: \{"error":/);
    expect(body.destroyed).toBe(true);
  });

  it('reports a stream that ends before its terminator when one is required', async () => {
    const body = new PassThrough();
    const { res, writes } = recordingClient();
    const done = pumpAnswer(body, res, { stage: new SseRelayStage('test', 'anthropic', true), tailBytes: 0 });
    body.end('data: {"n":1}\n\n');
    expect((await done).failure).toBe('truncated');
    expect(writes.join('')).toContain('event: error');
  });

  it('keeps the tail of a JSON answer and closes the connection when the body is cut short', async () => {
    const body = new PassThrough();
    const { res, stream } = recordingClient();
    const done = pumpAnswer(body, res, { tailBytes: 4 });
    body.write('{"a":');
    await new Promise((resolve) => setImmediate(resolve));
    body.destroy(new Error('reset'));
    const result = await done;
    expect(result.failure).toBe('reset');
    expect(result.tail?.toString()).toBe('{"a":');
    expect(stream.destroyed).toBe(true);
  });

  it('stops reading the upstream when the client leaves', async () => {
    const body = new PassThrough();
    const { res, stream } = recordingClient();
    const done = pumpAnswer(body, res, { stage: sse(), tailBytes: 0 });
    body.write('data: {"n":1}\n\n');
    await new Promise((resolve) => setImmediate(resolve));
    stream.destroy();
    expect((await done).clientGone).toBe(true);
    expect(body.destroyed).toBe(true);
  });

  it('reads the upstream no faster than the client takes it, and loses nothing when the client catches up', async () => {
    const body = new PassThrough({ highWaterMark: 4 << 20 });
    const received: string[] = [];
    const pending: Array<() => void> = [];
    const stuck = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk.toString());
        pending.push(done);
      },
    });
    const done = pumpAnswer(body, stuck as unknown as Response, { stage: sse(), tailBytes: 0 });
    const event = `data: {"t":"${'x'.repeat(1000)}"}\n\n`;
    const count = 1000;
    for (let i = 0; i < count; i++) {
      body.write(event);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The client took one write and never finished it: what the backend sent stays unread but for what the
    // stream buffers between them hold (their high-water marks: 16 KiB each on Node 20, 64 KiB on Node 24).
    expect(count * event.length - body.readableLength).toBeLessThan(256 * 1024);
    body.end();
    while (pending.length > 0 || !stuck.writableFinished) {
      pending.splice(0).forEach((next) => next());
      await new Promise((resolve) => setImmediate(resolve));
    }
    const result = await done;
    expect(received.join('')).toBe(event.repeat(count));
    expect(result.bytes).toBe(count * event.length);
  });
});
