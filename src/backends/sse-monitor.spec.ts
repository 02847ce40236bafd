import { SseMonitor } from './sse-monitor';

/** Whether each chunk was sound (every byte of it may be relayed). */
const feed = (monitor: SseMonitor, ...chunks: string[]) => chunks.map((c) => monitor.push(Buffer.from(c, 'latin1')) === Buffer.byteLength(c, 'latin1'));

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

  it('flags a data event that is not JSON (a proxy error page mid-stream) and says where the sound bytes end', () => {
    const m = new SseMonitor();
    const good = 'data: {"a":1}\n\n';
    expect(m.push(Buffer.from(`${good}data: <html><body>502 Bad Gateway</body></html>\n\ndata: {"b":2}\n\n`))).toBe(good.length);
    expect(m.garbage).toBe(true);
    expect(feed(new SseMonitor(), 'data: Bad Gateway\n\n')).toEqual([false]);
    // Caught from the head of an unfinished line, before the rest of it arrives.
    const split = new SseMonitor();
    expect(split.push(Buffer.from(`${good}data: <ht`))).toBe(good.length);
  });

  it('takes [DONE], comments, empty data, multi-line data and split lines for what they are', () => {
    const m = new SseMonitor();
    expect(
      feed(m, ': ping\n\n', 'data:\n\n', 'data: {"a":\ndata: 1}\n\n', 'data:{"b":2}\n\nda', 'ta: {"c"', ':3}\n\ndata: [DONE]\n\n'),
    ).toEqual([true, true, true, true, true, true]);
    expect(m.garbage).toBe(false);
    expect(m.complete).toBe(true);
  });

  it('skips over an overlong line without taking its continuation for a new line', () => {
    const m = new SseMonitor();
    const long = 'x'.repeat(300 * 1024);
    expect(feed(m, `data: {"text":"${long}`, `${long}"}\n\n`, 'data: [DONE]\n\n')).toEqual([true, true, true]);
    expect(m.complete).toBe(true);
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

describe('SseMonitor: JSON allows whitespace', () => {
  it.each([
    'data:  {"id":"x" , "choices" : [] }\n\n',
    'data:\t{"id":"x"}\n\n',
    'data: \t [1, 2]\n\n',
    'data: "a string"\n\n',
    'data: 42\n\n',
    'data: null\n\n',
  ])('takes %j for the JSON it is', (event) => {
    const m = new SseMonitor();
    expect(feed(m, event, 'data: [DONE]\n\n')).toEqual([true, true]);
    expect(m.garbage).toBe(false);
  });

  it('takes whitespace before JSON split across chunks', () => {
    expect(feed(new SseMonitor(), 'data:  ', ' {"a":', '1}\n\n')).toEqual([true, true, true]);
  });

  it.each(['data:  <html>\n\n', 'data: nope\n\n', 'data:   Bad Gateway\n\n', 'data: tru e\n\n'])('still flags %j', (event) => {
    expect(feed(new SseMonitor(), event)).toEqual([false]);
  });

  it('reads usage from an event with whitespace inside its JSON', () => {
    const m = new SseMonitor();
    feed(m, 'data:  { "choices" : [ ], "usage" : { "prompt_tokens" : 3 , "completion_tokens" : 4 } }\n\n');
    expect(m.usage).toEqual({ promptTokens: 3, completionTokens: 4, totalTokens: 7 });
  });
});

describe('SseMonitor: an event that never ends', () => {
  const event = (text: string) => `data: {"t":"${text}"}\n\n`;

  it('stops at the event that outgrows the cap, the whole events before it still sound', () => {
    const m = new SseMonitor(1000);
    const first = Buffer.from(event('ok') + 'data: {"t":"');
    expect(m.push(first)).toBe(first.length);
    const more = Buffer.from('a'.repeat(100));
    const sound: number[] = [];
    for (let i = 0; i < 20; i++) sound.push(m.push(more));
    // Ten chunks fit under the cap; the one that takes the event past it is refused whole.
    expect(sound.slice(0, 9)).toEqual(Array(9).fill(100));
    expect(sound).toContain(0);
    expect(m.tooLarge).toBe(true);
    expect(m.garbage).toBe(false);
  });

  it('answers with the offset where the oversize event began when it began in the same chunk', () => {
    const m = new SseMonitor(1000);
    const head = event('ok');
    const chunk = Buffer.from(head + 'data: {"t":"' + 'a'.repeat(2000));
    expect(m.push(chunk)).toBe(Buffer.byteLength(head));
    expect(m.tooLarge).toBe(true);
  });

  it('counts continuation data lines and overlong skipped lines as the same event', () => {
    const lines = new SseMonitor(1000);
    lines.push(Buffer.from('data: {"t":\n'));
    for (let i = 0; i < 30; i++) lines.push(Buffer.from('data: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"\n'));
    expect(lines.tooLarge).toBe(true);
  });

  it('never trips on a long stream of small events, with LF or CR LF blank lines', () => {
    for (const eol of ['\n', '\r\n']) {
      const m = new SseMonitor(1000);
      const chunk = Buffer.from(`data: {"t":"${'a'.repeat(300)}"}${eol}${eol}`);
      for (let i = 0; i < 100; i++) expect(m.push(chunk)).toBe(chunk.length);
      expect(m.tooLarge).toBe(false);
    }
  });

  it('takes an event just under the cap split over many chunks', () => {
    const m = new SseMonitor(1000);
    const whole = Buffer.from(event('a'.repeat(900)));
    for (let at = 0; at < whole.length; at += 7) expect(m.push(whole.subarray(at, at + 7))).toBe(Math.min(7, whole.length - at));
    expect(m.tooLarge).toBe(false);
  });
});
