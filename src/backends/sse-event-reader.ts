// Splits an upstream event stream into the payloads of its `data:` fields, one per event, as bytes
// arrive (chunks may cut lines and UTF-8 characters anywhere). Comments and other fields are skipped.
// An event is capped in size, its finished `data:` lines and its unfinished last line together: a
// backend that never ends an event is an error, not a growing string.

/** The largest event accepted (in UTF-16 code units, about bytes for the JSON backends send). */
export const MAX_EVENT_SIZE = 8 << 20;

export class EventTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`an event larger than ${limit} bytes`);
  }
}

export class SseEventReader {
  private partial = '';
  private data: string[] = [];
  /** The size of `data`: the event being read so far. */
  private dataSize = 0;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly maxEventSize = MAX_EVENT_SIZE) {}

  /** Returns the data payloads of the events this chunk completes; throws EventTooLargeError when one grows too large. */
  push(chunk: Buffer): string[] {
    const text = this.partial + this.decoder.decode(chunk, { stream: true });
    const events: string[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      let line = text.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      start = nl + 1;
      if (line === '') {
        if (this.data.length > 0) events.push(this.data.join('\n'));
        this.data = [];
        this.dataSize = 0;
      } else if (line.startsWith('data:')) {
        const value = line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
        this.dataSize += value.length + 1;
        if (this.dataSize > this.maxEventSize) throw new EventTooLargeError(this.maxEventSize);
        this.data.push(value);
      }
    }
    this.partial = text.slice(start);
    if (this.partial.length + this.dataSize > this.maxEventSize) throw new EventTooLargeError(this.maxEventSize);
    return events;
  }

  /** An event the upstream did not end with a blank line before closing. */
  flush(): string[] {
    return this.push(Buffer.from('\n\n'));
  }
}
