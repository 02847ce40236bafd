import type { ServerResponse } from 'node:http';
import type { ErrorDialect } from './answer-bridge';
import { isGeminiPath, isGoogleModelsRequest } from './gemini-path';
import { isMessagesPath } from './messages-path';
import { OpenAIError, writeOpenAIError } from './openai-error';

// The router's errors in the caller's dialect. OpenAI clients get {"error":{message,type,code}};
// Anthropic clients (/v1/messages) get {"type":"error","error":{type,message}}; Gemini clients
// (models/…:generateContent) get Google's {"error":{code,message,status}}; all with the same HTTP status.

/** What dialectOf needs of a request: Express's request fits. */
export interface DialectCarrier {
  url?: string;
  originalUrl?: string;
  headers?: Record<string, unknown>;
  errorDialect?: ErrorDialect;
}

/**
 * The dialect of every error one request gets, decided once, by its path, and kept on the request: the
 * guards, the exception filter and the relay (through ProxyContext.dialect) all answer in it.
 */
export function dialectOf(req: DialectCarrier): ErrorDialect {
  return (req.errorDialect ??= dialectByPath(req));
}

function dialectByPath(req: DialectCarrier): ErrorDialect {
  const url = req.originalUrl ?? req.url;
  if (isMessagesPath(url)) return 'anthropic';
  // A Gemini client on the OpenAI model paths is told by its x-goog-api-key header.
  if (isGeminiPath(url) || (req.headers !== undefined && isGoogleModelsRequest({ url, headers: req.headers }))) return 'google';
  return 'openai';
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

function anthropicErrorBody(status: number, message: string): { type: 'error'; error: { type: AnthropicErrorType; message: string } } {
  return { type: 'error', error: { type: anthropicErrorType(status), message } };
}

/** Google's canonical status names (google.rpc.Code) for an HTTP status, as the Gemini API answers them. */
export function googleStatus(status: number): string {
  switch (status) {
    case 400:
    case 413:
    case 415: return 'INVALID_ARGUMENT';
    case 401: return 'UNAUTHENTICATED';
    case 403: return 'PERMISSION_DENIED';
    case 404: return 'NOT_FOUND';
    case 405:
    case 501: return 'UNIMPLEMENTED';
    case 409: return 'ABORTED';
    case 429: return 'RESOURCE_EXHAUSTED';
    case 499: return 'CANCELLED';
    case 502:
    case 503: return 'UNAVAILABLE';
    case 504: return 'DEADLINE_EXCEEDED';
    default: return status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

function googleErrorBody(status: number, message: string): { error: { code: number; message: string; status: string } } {
  return { error: { code: status, message, status: googleStatus(status) } };
}

function errorBodyIn(dialect: ErrorDialect, status: number, message: string): object {
  return dialect === 'anthropic' ? anthropicErrorBody(status, message) : googleErrorBody(status, message);
}

/** Writes `error` as the whole response in `dialect`: its status, its headers (retry-after…) and the body. */
export function writeErrorIn(dialect: ErrorDialect, res: ServerResponse, error: OpenAIError): void {
  if (dialect === 'openai') return writeOpenAIError(res, error);
  res.statusCode = error.status;
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  const body = JSON.stringify(errorBodyIn(dialect, error.status, error.message));
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
  // The Gen AI SDK raises an ApiError for an event that is {"error":{"code":4xx/5xx,…}}.
  if (dialect === 'google') return `\n\ndata: ${JSON.stringify(googleErrorBody(status, message))}\n\n`;
  return `\n\ndata: ${JSON.stringify({ error: { message, type, code } })}\n\n`;
}
