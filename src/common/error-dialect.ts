import type { ServerResponse } from 'node:http';
import type { ErrorDialect } from './answer-bridge';
import { isMessagesPath } from './messages-path';
import { OpenAIError, writeOpenAIError } from './openai-error';

// The router's errors in the caller's dialect. OpenAI clients get {"error":{message,type,code}};
// Anthropic clients (/v1/messages) get {"type":"error","error":{type,message}}, with the same status.

/** What dialectOf needs of a request: Express's request fits. */
export interface DialectCarrier {
  url?: string;
  originalUrl?: string;
  errorDialect?: ErrorDialect;
}

/**
 * The dialect of every error one request gets, decided once, by its path, and kept on the request: the
 * guards, the exception filter and the relay (through ProxyContext.dialect) all answer in it.
 */
export function dialectOf(req: DialectCarrier): ErrorDialect {
  return (req.errorDialect ??= isMessagesPath(req.originalUrl ?? req.url) ? 'anthropic' : 'openai');
}

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export function anthropicErrorType(status: number): AnthropicErrorType {
  switch (status) {
    case 401: return 'authentication_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 413: return 'request_too_large';
    case 429: return 'rate_limit_error';
    case 503:
    case 529: return 'overloaded_error';
    default: return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

export function anthropicErrorBody(status: number, message: string): { type: 'error'; error: { type: AnthropicErrorType; message: string } } {
  return { type: 'error', error: { type: anthropicErrorType(status), message } };
}

/** Writes `error` as the whole response in `dialect`: its status, its headers (retry-after…) and the body. */
export function writeErrorIn(dialect: ErrorDialect, res: ServerResponse, error: OpenAIError): void {
  if (dialect === 'openai') return writeOpenAIError(res, error);
  res.statusCode = error.status;
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  const body = JSON.stringify(anthropicErrorBody(error.status, error.message));
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** A final SSE error event in `dialect`, so SDKs raise instead of hanging or reporting success. */
export function sseErrorEventIn(dialect: ErrorDialect, message: string, code: string, type = 'api_error', status = 502): string {
  // The leading blank line ends any event the upstream left half-written.
  if (dialect === 'anthropic') {
    return `\n\nevent: error\ndata: ${JSON.stringify(anthropicErrorBody(status, message))}\n\n`;
  }
  return `\n\ndata: ${JSON.stringify({ error: { message, type, code } })}\n\n`;
}
