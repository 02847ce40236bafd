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

  it('sees the end of an Anthropic Messages stream and adds its input and output tokens', () => {
    const m = new SseMonitor();
    feed(
      m,
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":25,"output_tokens":1}}}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}\n\n',
    );
    expect(m.complete).toBe(false);
    feed(m, 'event: message_stop\ndata: {"type":"message_stop"}\n\n');
    expect(m.complete).toBe(true);
    expect(m.usage).toEqual({ promptTokens: 25, completionTokens: 15, totalTokens: 40 });
  });
});
