import type { ServerResponse } from 'node:http';

// One exception type for every error the router itself answers with, shaped as OpenAI's
// {"error":{"message","type","code"}} by OpenAIErrorFilter.

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error';

export class OpenAIError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: OpenAIErrorType = typeForStatus(status),
    readonly headers: Record<string, string> = {},
    readonly param: string | null = null,
  ) {
    super(message);
  }

  toJSON(): { error: { message: string; type: string; code: string; param: string | null } } {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

export function typeForStatus(status: number): OpenAIErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export const badRequest = (message: string, code = 'invalid_request', param: string | null = null) =>
  new OpenAIError(400, code, message, 'invalid_request_error', {}, param);

/** Writes `error` as the whole response: its status, its headers and the JSON body. */
export function writeOpenAIError(res: ServerResponse, error: OpenAIError): void {
  res.statusCode = error.status;
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  res.setHeader('content-type', 'application/json');
  // An upstream's content-length may already be set (an error while relaying): ours must win.
  const body = JSON.stringify(error.toJSON());
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
