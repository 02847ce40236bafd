import type { ServerResponse } from 'node:http';
import type { OpenAIError } from '../common/openai-error';

// The router's errors in the Anthropic dialect, for callers of /v1/messages: same status and headers
// (retry-after included) as on the OpenAI side, body {"type":"error","error":{"type","message"}}.

/** /v1/messages, /messages and their count_tokens paths (a query string allowed). */
const MESSAGES_PATH = /^\/(?:v1\/)?messages(?:\/|\?|$)/;

export function isMessagesPath(url: string | undefined): boolean {
  return url !== undefined && MESSAGES_PATH.test(url);
}

export function anthropicErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export function anthropicErrorBody(status: number, message: string): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: anthropicErrorType(status), message } };
}

/** Writes `error` as the whole response, Anthropic-shaped. */
export function writeAnthropicError(res: ServerResponse, error: OpenAIError): void {
  res.statusCode = error.status;
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  const body = JSON.stringify(anthropicErrorBody(error.status, error.message));
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
