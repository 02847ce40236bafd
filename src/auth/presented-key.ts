import type { IncomingHttpHeaders } from 'node:http';
import { isGeminiPath, isGoogleModelsRequest, queryKey } from '../common/gemini-path';
import { isMessagesPath } from '../common/messages-path';

const BEARER = /^bearer\s+(.+)$/i;

/** What presentedKey needs of a request: Express's and Node's requests both fit. */
export interface KeyCarrier {
  headers: IncomingHttpHeaders;
  url?: string;
}

/**
 * The key a request presents, or undefined. The one place that reads it, for ClientKeyService.forRequest
 * (the body parser and ApiKeyGuard), ApiKeyGuard's missing-key answer, MetricsKeyGuard and DashboardKeyGuard.
 */
export function presentedKey(req: KeyCarrier): string | undefined {
  const bearer = bearerToken(req.headers.authorization);
  if (bearer !== undefined) return bearer;
  // Anthropic clients (Claude Code's ANTHROPIC_API_KEY) send the key as x-api-key: accepted on their paths only.
  if (isMessagesPath(req.url)) return headerKey(req.headers['x-api-key']);
  // Gemini CLI and the Google Gen AI SDK send x-goog-api-key, or ?key= in the URL: on the Gemini paths only.
  if (isGeminiPath(req.url) || isGoogleModelsRequest(req)) return headerKey(req.headers['x-goog-api-key']) ?? queryKey(req.url);
  return undefined;
}

function headerKey(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = BEARER.exec(header.trim());
  return match ? match[1].trim() : undefined;
}
