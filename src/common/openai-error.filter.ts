import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { dialectOf, writeErrorIn, type DialectCarrier } from './error-dialect';
import { OpenAIError, typeForStatus } from './openai-error';

/** body-parser (express.json) errors carry a `type`; they become OpenAI-style errors too. */
interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  message?: string;
}

const BODY_PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.too.large': [413, 'request_too_large', 'Request body is larger than max_request_bytes.'],
  'entity.parse.failed': [400, 'invalid_json', 'Request body is not valid JSON.'],
  'entity.verify.failed': [400, 'invalid_json', 'Request body could not be verified.'],
  'encoding.unsupported': [415, 'unsupported_encoding', 'Unsupported Content-Encoding.'],
  'charset.unsupported': [415, 'unsupported_charset', 'Unsupported charset: send UTF-8 JSON.'],
  'request.aborted': [400, 'request_aborted', 'The request body was not received completely.'],
  'request.size.invalid': [400, 'invalid_request', 'Request size did not match Content-Length.'],
  'stream.encoding.set': [500, 'internal_error', 'Internal error reading the request.'],
  'stream.not.readable': [400, 'invalid_request', 'The request body could not be read.'],
  'parameters.too.many': [413, 'request_too_large', 'Too many parameters.'],
};

/**
 * The single place where errors become HTTP responses, in the caller's dialect: Anthropic's
 * {"type":"error","error":{type,message}} on the Messages paths, OpenAI's {"error":{message,type,code}} elsewhere.
 */
@Catch()
export class OpenAIErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('OpenAIErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request & DialectCarrier>();
    const error = this.toOpenAIError(exception);
    if (res.headersSent) {
      // A stream already started; the backend client ends it with an SSE error event itself.
      if (!res.writableEnded) res.end();
      return;
    }
    writeErrorIn(dialectOf(req), res, error);
  }

  toOpenAIError(exception: unknown): OpenAIError {
    if (exception instanceof OpenAIError) return exception;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) return new OpenAIError(404, 'not_found', 'Unknown path. See GET /v1/models for the API this router serves.');
      const response = exception.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : typeof (response as { message?: unknown }).message === 'string'
            ? (response as { message: string }).message
            : exception.message;
      return new OpenAIError(status, codeForStatus(status), message, typeForStatus(status));
    }
    const bp = exception as BodyParserError;
    if (bp && typeof bp.type === 'string' && BODY_PARSER_ERRORS[bp.type]) {
      const [status, code, message] = BODY_PARSER_ERRORS[bp.type];
      return new OpenAIError(status, code, message);
    }
    const status = bp?.status ?? bp?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return new OpenAIError(status, codeForStatus(status), 'Bad request.');
    }
    this.logger.error(`unhandled error: ${exception instanceof Error ? exception.stack : String(exception)}`);
    return new OpenAIError(500, 'internal_error', 'Internal router error.');
  }
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400: return 'invalid_request';
    case 401: return 'invalid_api_key';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 405: return 'method_not_allowed';
    case 413: return 'request_too_large';
    case 415: return 'unsupported_media_type';
    case 429: return 'rate_limit_exceeded';
    default: return status >= 500 ? 'internal_error' : 'invalid_request';
  }
}
