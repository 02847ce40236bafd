import type { Response } from 'express';
import { newOutcome, recordUpstreamError, type ProxyContext, type RouterRequest } from '../common/proxy-context';
import { RequestEventsService } from '../common/request-events.service';
import type { RouterConfigService } from '../config/router-config.service';
import { TrafficRecorderService } from './traffic-recorder.service';

const config = { onChange: () => undefined } as unknown as RouterConfigService;
const now = Date.UTC(2026, 0, 1, 12, 0, 30);
const res = (statusCode: number) => ({ headersSent: true, statusCode }) as Response;

function proxied(model: string, fill: (o: ProxyContext['outcome']) => void): RouterRequest {
  const outcome = newOutcome();
  fill(outcome);
  return { path: '/v1/chat/completions', apiKeyName: 'alice', body: { model }, llmrouter: { requestedModel: model, outcome } } as unknown as RouterRequest;
}

describe('TrafficRecorderService', () => {
  it('blames each backend for its own failures, once per request: a fallback that worked counts against the first only', () => {
    const recorder = new TrafficRecorderService(new RequestEventsService(), config);
    const req = proxied('fast', (o) => {
      recordUpstreamError(o, 'ollama', 'refused');
      recordUpstreamError(o, 'ollama', 'refused');
      Object.assign(o, { backend: 'groq', status: 200, ttfbMs: 120, overheadMs: 0.4, promptTokens: 5, completionTokens: 2 });
    });
    recorder.record(req, res(200), 150, now);
    expect(recorder.seriesOf('ollama')!.totals(1, now)).toEqual({ requests: 1, errors: 1 });
    expect(recorder.seriesOf('groq')!.totals(1, now)).toEqual({ requests: 1, errors: 0 });
    expect(recorder.seriesOf('groq')!.points(now).at(-1)!.ttfb_p50_ms).toBeGreaterThan(100);
    expect(recorder.seriesOf('ollama')!.points(now).at(-1)!.ttfb_p50_ms).toBeNull();
    // The answering backend failing first (a retry on it succeeded) is one request with a failure.
    recorder.record(proxied('fast', (o) => {
      recordUpstreamError(o, 'groq', 'http_503');
      Object.assign(o, { backend: 'groq', status: 200 });
    }), res(200), 10, now);
    expect(recorder.seriesOf('groq')!.totals(1, now)).toEqual({ requests: 2, errors: 1 });
    expect(recorder.recent.newestFirst().slice(1)).toEqual([
      {
        at: now,
        key: 'alice',
        model: 'fast',
        backend: 'groq',
        status: 200,
        error_code: null,
        ttfb_ms: 120,
        total_ms: 150,
        prompt_tokens: 5,
        completion_tokens: 2,
      },
    ]);
  });

  it('keeps a line for a request a guard refused for a known key, and none for dashboard, health or keyless requests', () => {
    const recorder = new TrafficRecorderService(new RequestEventsService(), config);
    const refused = { path: '/v1/chat/completions', apiKeyName: 'bob', body: { model: 'groq/x' } } as unknown as RouterRequest;
    recorder.record(refused, res(403), 1, now);
    recorder.record({ path: '/ui/api/usage', apiKeyName: 'bob' } as unknown as RouterRequest, res(403), 1, now);
    recorder.record({ path: '/health/ready' } as unknown as RouterRequest, res(503), 1, now);
    recorder.record({ path: '/v1/chat/completions' } as unknown as RouterRequest, res(401), 1, now);
    recorder.record({ path: '/v1/models', apiKeyName: 'bob' } as unknown as RouterRequest, res(200), 1, now);
    expect(recorder.recent.newestFirst().map((l) => [l.key, l.model, l.status, l.backend])).toEqual([['bob', 'groq/x', 403, null]]);
  });

  it('shortens a huge model name in the line', () => {
    const recorder = new TrafficRecorderService(new RequestEventsService(), config);
    recorder.record(proxied('m'.repeat(5000), (o) => (o.status = 404)), res(404), 1, now);
    expect(recorder.recent.newestFirst()[0].model).toHaveLength(200);
  });
});
