import type { ModelCatalogService } from '../backends/model-catalog.service';
import type { CompiledBackend } from '../config/compiled-config';
import { BackendProbeService, PROBE_CACHE_MS, PROBE_TIMEOUT_MS, probeFailure } from './backend-probe.service';

const backend = (extra: Partial<CompiledBackend> = {}) => ({ name: 'b', ...extra }) as CompiledBackend;

describe('BackendProbeService', () => {
  it('probes with a 2 s timeout, reuses the answer for 10 s, then serves it while the next probe runs', async () => {
    const fetchIds = jest.fn().mockResolvedValue(['m']);
    const probes = new BackendProbeService({ fetchIds } as unknown as ModelCatalogService);
    const b = backend();
    expect(await probes.state(b, 1_000)).toEqual({ status: 'up' });
    expect(await probes.state(b, 1_000 + PROBE_CACHE_MS - 1)).toEqual({ status: 'up' });
    expect(fetchIds).toHaveBeenCalledTimes(1);
    expect(fetchIds).toHaveBeenCalledWith(b, PROBE_TIMEOUT_MS);
    fetchIds.mockRejectedValue(Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:8080'), { code: 'ECONNREFUSED' }));
    expect(await probes.state(b, 1_000 + PROBE_CACHE_MS)).toEqual({ status: 'up' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await probes.state(b, 1_000 + PROBE_CACHE_MS + 1)).toEqual({ status: 'down', reason: 'refused' });
    expect(fetchIds).toHaveBeenCalledTimes(2);
  });

  describe('with a probe that never finishes (a host that never completes the connection)', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('ends the probe as a timeout after 2 s whatever the request does', async () => {
      const fetchIds = jest.fn().mockReturnValue(new Promise(() => undefined));
      const probes = new BackendProbeService({ fetchIds } as unknown as ModelCatalogService);
      const answer = probes.state(backend(), 0);
      await jest.advanceTimersByTimeAsync(PROBE_TIMEOUT_MS);
      await expect(answer).resolves.toEqual({ status: 'down', reason: 'timeout' });
    });

    it('keeps answering at once with the last answer while the slow probe runs, and probes only once', async () => {
      const fetchIds = jest.fn().mockResolvedValueOnce(['m']).mockReturnValue(new Promise(() => undefined));
      const probes = new BackendProbeService({ fetchIds } as unknown as ModelCatalogService);
      const b = backend();
      expect(await probes.state(b, 0)).toEqual({ status: 'up' });
      for (let i = 0; i < 5; i++) {
        let answered: unknown;
        void probes.state(b, PROBE_CACHE_MS + i * 100).then((s) => (answered = s));
        await Promise.resolve();
        await Promise.resolve();
        expect(answered).toEqual({ status: 'up' });
      }
      expect(fetchIds).toHaveBeenCalledTimes(2);
      await jest.advanceTimersByTimeAsync(PROBE_TIMEOUT_MS);
      expect(await probes.state(b, PROBE_CACHE_MS + 1_000)).toEqual({ status: 'down', reason: 'timeout' });
    });
  });

  it('reports a backend whose key is missing as down without contacting it', async () => {
    const fetchIds = jest.fn();
    const probes = new BackendProbeService({ fetchIds } as unknown as ModelCatalogService);
    expect(await probes.state(backend({ missingKeyEnv: 'GROQ_API_KEY' }))).toEqual({ status: 'down', reason: 'key_missing' });
    expect(fetchIds).not.toHaveBeenCalled();
  });
});

describe('probeFailure', () => {
  it.each([
    [new Error('HTTP 401'), 'http_401'],
    [Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), 'timeout'],
    [Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:8080'), { code: 'ECONNREFUSED' }), 'refused'],
    [new SyntaxError('Unexpected token'), 'invalid_response'],
    [new Error('getaddrinfo failed for secret-host.internal'), 'error'],
  ])('gives %p as the address-free reason %s', (err, reason) => {
    expect(probeFailure(err)).toBe(reason);
  });
});
