import { EventTooLargeError, SseEventReader } from './sse-event-reader';

const feed = (reader: SseEventReader, ...parts: (string | Buffer)[]) => parts.flatMap((p) => reader.push(Buffer.isBuffer(p) ? p : Buffer.from(p)));

describe('SseEventReader', () => {
  it('returns the data of each complete event, skipping comments and other fields', () => {
    const reader = new SseEventReader();
    expect(feed(reader, ': keep-alive\n\nevent: x\ndata: {"a":1}\n\ndata: [DONE]\n\n')).toEqual(['{"a":1}', '[DONE]']);
  });

  it('joins events cut anywhere, CRLF line ends and multi-line data', () => {
    const reader = new SseEventReader();
    expect(feed(reader, 'da', 'ta: {"a"', ':1}\r', '\n\r\ndata: x\ndata: y\n', '\n')).toEqual(['{"a":1}', 'x\ny']);
  });

  it('keeps a UTF-8 character split between chunks whole', () => {
    const bytes = Buffer.from('data: "é€"\n\n');
    const reader = new SseEventReader();
    expect(feed(reader, bytes.subarray(0, 8), bytes.subarray(8, 10), bytes.subarray(10))).toEqual(['"é€"']);
  });

  it('gives the last event when the stream ends without a blank line', () => {
    const reader = new SseEventReader();
    expect(feed(reader, 'data: {"a":1}\n')).toEqual([]);
    expect(reader.flush()).toEqual(['{"a":1}']);
  });
});

describe('SseEventReader limits', () => {
  it('refuses an event whose data lines never end, not only an overlong line', () => {
    const reader = new SseEventReader(1024);
    const line = `data: ${'x'.repeat(100)}\n`;
    expect(() => {
      for (let i = 0; i < 20; i++) reader.push(Buffer.from(line));
    }).toThrow(EventTooLargeError);
  });

  it('refuses an overlong unfinished line, and counts each event on its own', () => {
    expect(() => new SseEventReader(1024).push(Buffer.from(`data: ${'x'.repeat(2000)}`))).toThrow(EventTooLargeError);
    const reader = new SseEventReader(1024);
    const event = `data: ${'x'.repeat(600)}\n\n`;
    expect(feed(reader, event, event, event)).toHaveLength(3);
  });
});
