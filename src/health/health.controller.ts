import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { ReadinessIndicator } from './readiness.indicator';

/** Probes for orchestrators and load balancers: no key needed. */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessIndicator,
  ) {}

  /** The process answers: no I/O at all. */
  @Public()
  @Get(['health', 'health/live', 'v1/health'])
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Claude Code's connectivity check (HEAD /api/hello): the router is there. */
  @Public()
  @Get('api/hello')
  hello(): { status: string } {
    return { status: 'ok' };
  }

  /** Config loaded and the default backend answering; every backend's state is in the body. */
  @Public()
  @Get('health/ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.readiness.config(), () => this.readiness.backends(), () => this.readiness.accepting()]);
    } catch (err) {
      // Terminus throws 503 with the result; the body must stay the health JSON, not an OpenAI error.
      if (!(err instanceof ServiceUnavailableException)) throw err;
      res.status(503);
      return err.getResponse() as HealthCheckResult;
    }
  }
}
