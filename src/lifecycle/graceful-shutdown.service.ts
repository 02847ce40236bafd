import type { Server } from 'node:http';
import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { shuttingDown } from '../common/proxy-context';
import { RequestEventsService } from '../common/request-events.service';
import { RouterConfigService } from '../config/router-config.service';

const IDLE_SWEEP_MS = 100;
/** After the grace period: how long the stopped streams get to send their last event before sockets are cut. */
export const LAST_EVENT_MS = 1_000;

/**
 * Stops the router without cutting anyone off: no new connections, idle keep-alive connections closed,
 * requests in flight (streams included) finish, for at most shutdown_grace_ms. Then what is still open
 * ends with the caller's own terminal error (an SSE error event, or a 503) rather than a cut connection,
 * so a client or load balancer sees a clean error it may retry. Runs before Nest's own shutdown hooks,
 * which close the upstream connection pools.
 */
@Injectable()
export class GracefulShutdownService {
  private drainingSince: Promise<void> | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly configService: RouterConfigService,
    private readonly events: RequestEventsService,
    @InjectPinoLogger('Shutdown') private readonly logger: PinoLogger,
  ) {}

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Resolves when every connection is closed: drained, or cut at the end of the grace period. */
  drain(reason: string): Promise<void> {
    this.drainingSince ??= this.run(reason);
    return this.drainingSince;
  }

  private async run(reason: string): Promise<void> {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const graceMs = this.configService.current.shutdownGraceMs;
    this.logger.info(`${reason}: no new connections; waiting up to ${graceMs} ms for requests in flight`);
    // Responses that start from now on close their connection instead of keeping it alive.
    server.prependListener('request', (_req, res) => res.setHeader('connection', 'close'));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // A connection becomes idle when its last response ends; close it then.
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((resolve) => (timer = setTimeout(() => resolve('grace'), graceMs)));
    const outcome = await Promise.race([closed.then(() => 'drained' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'grace') {
      const open = await new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n ?? 0)));
      const stopped = this.stopForwarded();
      this.logger.warn(`shutdown_grace_ms (${graceMs} ms) is over: ${stopped} request(s) still forwarded end with a shutdown error; closing ${open} connection(s) still open`);
      // The stopped requests write their last event and their connections turn idle (the sweep closes them).
      let cutTimer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((resolve) => (cutTimer = setTimeout(resolve, stopped > 0 ? LAST_EVENT_MS : 0)))]);
      clearTimeout(cutTimer);
      clearInterval(sweep);
      server.closeAllConnections();
      await closed;
    } else {
      clearInterval(sweep);
      this.logger.info('all requests finished');
    }
  }

  /** Stops the upstream call of every request still forwarded; each relay then ends its answer in the caller's dialect. */
  private stopForwarded(): number {
    let stopped = 0;
    for (const req of this.events.inFlight) {
      if (!req.stopUpstream) continue;
      req.stopUpstream(shuttingDown());
      stopped++;
    }
    return stopped;
  }
}
