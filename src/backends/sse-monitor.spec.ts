import { SseMonitor } from './sse-monitor';

const feed = (monitor: SseMonitor, ...chunks: string[]) => chunks.map((c) => monitor.push(Buffer.from(c)));

describe('SseMonitor', () => {
  it('sees [DONE] even when it is split across chunks', () => {
    const m = new SseMonitor();
    expect(feed(m, 'data: {"a":1}\n\nda', 'ta: [DO', 'NE]\n\n')).toEqual([true, true, true]);
    expect(m.complete).toBe(true);
  });

  it('a stream without a terminator is not complete', () => {
    const m = new SseMonitor();
    feed(m, 'data: {"a":1}\n\n');
    expect(m.complete).toBe(false);
  });

  it('accepts comments, event/id/retry lines and CRLF', () => {
    const m = new SseMonitor();
    expect(feed(m, ': keep-alive\r\n\r\nevent: response.completed\r\nid: 1\r\nretry: 10\r\ndata: {}\r\n\r\n')).toEqual([true]);
    expect(m.complete).toBe(true);
  });

  it('flags bytes that are not an event stream, also at the start of an unfinished line', () => {
    expect(feed(new SseMonitor(), 'data: {}\n\n<html>\n')).toEqual([false]);
    expect(feed(new SseMonitor(), 'data: {}\n\n\xff\xfe')).toEqual([false]);
  });

  it('reads token usage from the usage chunk', () => {
    const m = new SseMonitor();
    feed(m, 'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}\n\n');
    expect(m.usage).toEqual({ promptTokens: 3, completionTokens: 4, totalTokens: 7 });
  });
});
