import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { OpenAIError } from './openai-error';

// Requests Node's HTTP parser rejects (broken framing, oversized headers, slow senders) never reach
// Express; Node would answer them with an empty 400. Clients get the same OpenAI-style JSON as elsewhere.

function errorFor(code: string | undefined): OpenAIError {
  if (code === 'HPE_HEADER_OVERFLOW') return new OpenAIError(431, 'headers_too_large', 'Request headers are too large.');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new OpenAIError(408, 'request_timeout', 'The request was not received in time.');
  return new OpenAIError(400, 'malformed_request', 'The request is not valid HTTP/1.1.');
}

export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already under way on this connection cannot be replaced by another one.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const error = errorFor(err.code);
    const body = JSON.stringify(error.toJSON());
    socket.end(
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
