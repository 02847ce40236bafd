// Splits an upstream event stream into the payloads of its `data:` fields, one per event, as bytes
// arrive (chunks may cut lines and UTF-8 characters anywhere). Comments and other fields are skipped.

const MAX_EVENT_BYTES = 16 << 20;

export class SseEventReader {
  private partial = '';
  private data: string[] = [];
  private readonly decoder = new TextDecoder('utf-8');

  /** Returns the data payloads of the events this chunk completes; throws when one event grows too large. */
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
      } else if (line.startsWith('data:')) {
        this.data.push(line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5));
      }
    }
    this.partial = text.slice(start);
    if (this.partial.length > MAX_EVENT_BYTES) throw new Error('event too large');
    return events;
  }

  /** An event the upstream did not end with a blank line before closing. */
  flush(): string[] {
    const events = this.push(Buffer.from('\n\n'));
    return events;
  }
}
