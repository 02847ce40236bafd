import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^bearer\s+(.+)$/i;

/** What presentedKey needs of a request: Express's and Node's requests both fit. */
export interface KeyCarrier {
  headers: IncomingHttpHeaders;
  url?: string;
}

/**
 * The key a request presents, or undefined. The one place that reads it: ApiKeyGuard (the answer),
 * the body parser (which reads no body for a request without an accepted key) and MetricsKeyGuard.
 */
export function presentedKey(req: KeyCarrier): string | undefined {
  return bearerToken(req.headers.authorization);
}

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = BEARER.exec(header.trim());
  return match ? match[1].trim() : undefined;
}
