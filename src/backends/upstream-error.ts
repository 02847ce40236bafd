// What went wrong talking to a backend, classified once so retries, metrics and client errors agree.

export type UpstreamFailureKind = 'refused' | 'connect_timeout' | 'reset' | 'headers_timeout' | 'idle_timeout' | 'aborted' | 'other';

export function classifyUpstreamError(err: unknown): UpstreamFailureKind {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'refused';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return 'connect_timeout';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'reset';
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'headers_timeout';
    case 'UND_ERR_BODY_TIMEOUT':
      return 'idle_timeout';
    case 'UND_ERR_ABORTED':
    case 'ERR_CANCELED':
    case 'ABORT_ERR':
      return 'aborted';
  }
  if (e?.name === 'AbortError' || e?.name === 'CanceledError') return 'aborted';
  return 'other';
}

/** Connection failures where the backend never started the work: safe to retry or fall back. */
export function isRetryableFailure(kind: UpstreamFailureKind): boolean {
  return kind === 'refused' || kind === 'connect_timeout' || kind === 'reset';
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** The upstream's own reason when it gave one in a form we can read, for the client's error message. */
export function upstreamErrorMessage(backend: string, status: number, text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const inner = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message ?? parsed.message ?? parsed.detail;
    if (typeof inner === 'string') return `Backend "${backend}" answered ${status}: ${inner}`;
  } catch {
    // not JSON
  }
  // A short plain-text reason is worth showing; an HTML error page is not.
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return snippet && !snippet.startsWith('<') ? `Backend "${backend}" answered ${status}: ${snippet}` : `Backend "${backend}" answered ${status}.`;
}
