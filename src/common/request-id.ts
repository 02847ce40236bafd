import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouterRequest } from './proxy-context';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's x-request-id when it is sane, a new UUID otherwise. */
export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** Gives the request its id and sets it on the response (called by the first middleware of the app). */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const r = req as RouterRequest;
  if (r.requestId === undefined) {
    r.requestId = requestIdFor(req.headers['x-request-id']);
    res.setHeader('x-request-id', r.requestId);
  }
  return r.requestId;
}
