import type { Server } from 'node:http';
import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { RouterConfigService } from '../config/router-config.service';

const IDLE_SWEEP_MS = 100;

/**
 * Stops the router without cutting anyone off: no new connections, idle keep-alive connections closed,
 * requests in flight (streams included) finish, for at most shutdown_grace_ms. Runs before Nest's own
 * shutdown hooks, which close the upstream connection pools.
 */
@Injectable()
export class GracefulShutdownService {
  private drainingSince: Promise<void> | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly configService: RouterConfigService,
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
    clearInterval(sweep);
    clearTimeout(timer);
    if (outcome === 'grace') {
      const open = await new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n ?? 0)));
      this.logger.warn(`shutdown_grace_ms (${graceMs} ms) is over: closing ${open} connection(s) still open`);
      server.closeAllConnections();
      await closed;
    } else {
      this.logger.info('all requests finished');
    }
  }
}
