import { Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { assignRequestId } from './request-id';
import type { RouterRequest } from './proxy-context';

export type RequestEndListener = (req: RouterRequest, res: Response, totalMs: number) => void;

/**
 * The status a request ended with: the one sent, or, when no headers went out, the one the router
 * meant to send (499 when the client left before any answer).
 */
export function finalStatus(req: RouterRequest, res: Response): number {
  return res.headersSent ? res.statusCode : (req.llmrouter?.outcome.status ?? 499);
}

/**
 * Announces the end of every request (answered, failed or abandoned) to whoever records it: the
 * request log, metrics, usage counters and the dashboard's traffic recorder. Listeners run after the response is done, off the hot path.
 */
@Injectable()
export class RequestEventsService {
  private readonly logger = new Logger('RequestEvents');
  private readonly listeners: RequestEndListener[] = [];

  onRequestEnd(listener: RequestEndListener): void {
    this.listeners.push(listener);
  }

  /** Requests whose response has not closed yet (read by the open-streams gauge). */
  readonly inFlight = new Set<RouterRequest>();

  /**
   * The first middleware: gives the request its id (on every response, errors and preflights included),
   * stamps its arrival, and reports its end. One middleware and one listener for all of it: each Express
   * layer and 'close' listener is paid on every request.
   */
  readonly track = (req: RouterRequest & { receivedAt?: bigint }, res: Response, next: () => void): void => {
    const receivedAt = process.hrtime.bigint();
    req.receivedAt = receivedAt;
    assignRequestId(req, res);
    this.inFlight.add(req);
    res.once('close', () => {
      this.inFlight.delete(req);
      const totalMs = Number(process.hrtime.bigint() - receivedAt) / 1e6;
      // 'close' can fire before the code that ended the response has run its last lines (e.g. reading
      // a JSON body's usage after the relay resolves); setImmediate lets those finish first.
      setImmediate(() => {
        for (const listener of this.listeners) {
          try {
            listener(req, res, totalMs);
          } catch (err) {
            this.logger.error(`request-end listener failed: ${(err as Error).message}`);
          }
        }
      });
    });
    next();
  };
}
