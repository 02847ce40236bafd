import { classifyUpstreamError, isRetryableFailure, isRetryableStatus, type UpstreamFailureKind } from './upstream-error';

describe('classifyUpstreamError', () => {
  const cases: Array<[string, unknown, UpstreamFailureKind]> = [
    ['refused', { code: 'ECONNREFUSED' }, 'refused'],
    ['unknown host', { code: 'ENOTFOUND' }, 'refused'],
    ['undici connect timeout', { code: 'UND_ERR_CONNECT_TIMEOUT' }, 'connect_timeout'],
    ['connect timeout wrapped in a cause', { message: 'fetch failed', cause: { code: 'UND_ERR_CONNECT_TIMEOUT' } }, 'connect_timeout'],
    ['reset', { code: 'ECONNRESET' }, 'reset'],
    ['other side closed', { code: 'UND_ERR_SOCKET' }, 'reset'],
    ['headers timeout', { code: 'UND_ERR_HEADERS_TIMEOUT' }, 'headers_timeout'],
    ['body timeout', { code: 'UND_ERR_BODY_TIMEOUT' }, 'idle_timeout'],
    ['undici abort', { code: 'UND_ERR_ABORTED' }, 'aborted'],
    ['DOM abort', { name: 'AbortError' }, 'aborted'],
    ['anything else', new Error('boom'), 'other'],
    ['not even an error', undefined, 'other'],
  ];
  it.each(cases)('classifies %s', (_name, error, kind) => {
    expect(classifyUpstreamError(error)).toBe(kind);
  });
});

describe('what may be retried', () => {
  it('retries failures where the backend never started the work, and not a header timeout', () => {
    expect(['refused', 'connect_timeout', 'reset'].every((k) => isRetryableFailure(k as UpstreamFailureKind))).toBe(true);
    expect(['headers_timeout', 'idle_timeout', 'aborted', 'other'].some((k) => isRetryableFailure(k as UpstreamFailureKind))).toBe(false);
  });

  it('retries 429/502/503/504 and no other status', () => {
    const retried = [];
    for (let s = 100; s < 600; s++) if (isRetryableStatus(s)) retried.push(s);
    expect(retried).toEqual([429, 502, 503, 504]);
  });
});
