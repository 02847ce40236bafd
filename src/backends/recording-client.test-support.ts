import { Writable } from 'node:stream';
import type { Response } from 'express';

/** A client connection for the pump's specs that records each write it gets. */
export function recordingClient() {
  const writes: string[] = [];
  const res = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { res: res as unknown as Response, writes, stream: res };
}
