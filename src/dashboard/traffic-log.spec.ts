import { RECENT_REQUESTS, TrafficLog, type RequestLine } from './traffic-log';

const t0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const line = (i: number, extra: Partial<RequestLine> = {}): RequestLine => ({
  at: t0 + i,
  key: i % 2 ? 'alice' : 'bob',
  model: `ollama/m${i}`,
  backend: 'ollama',
  status: 200,
  error_code: null,
  ttfb_ms: 5,
  total_ms: 10,
  prompt_tokens: 1,
  completion_tokens: 1,
  ...extra,
});

describe('TrafficLog (the dashboard traffic every worker shares)', () => {
  it('shows a viewer its own lines, newest first, and errors only when asked', () => {
    const log = new TrafficLog();
    log.add(line(1), [['ollama', { failed: false, ttfbMs: 5 }]], t0);
    log.add(line(2, { status: 502, error_code: 'backend_error' }), [['ollama', { failed: true }]], t0);
    log.add(line(3), [['ollama', { failed: false, ttfbMs: 5 }]], t0);
    expect(log.lines({ key: 'alice', errorsOnly: false }).map((l) => l.at)).toEqual([t0 + 3, t0 + 1]);
    expect(log.lines({ key: null, errorsOnly: true }).map((l) => l.at)).toEqual([t0 + 2]);
    expect(log.backends(['ollama', 'groq'], 15, t0)).toEqual([expect.objectContaining({ totals: { requests: 3, errors: 1 } }), null]);
  });

  it('drops the series of a backend the config no longer has', () => {
    const log = new TrafficLog();
    log.add(line(1, { backend: 'old' }), [['old', { failed: false }]], t0);
    expect(log.backends(['new'], 15, t0)).toEqual([null]);
    expect(log.seriesOf('old')).toBeUndefined();
  });

  it('holds the last lines only, over a million requests', () => {
    const log = new TrafficLog();
    for (let i = 0; i < 1_000_000; i++) log.add(line(i), [['ollama', { failed: false, ttfbMs: 5 }]], t0 + i);
    const lines = log.lines({ key: null, errorsOnly: false });
    expect(lines).toHaveLength(RECENT_REQUESTS);
    expect(lines[0].at).toBe(t0 + 999_999);
    expect(log.recent.size).toBe(RECENT_REQUESTS);
  });
});
