import { Controller, Get, Req, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import type { Request, Response } from 'express';
import { ClientKeyService } from '../auth/client-key.service';
import { Public } from '../auth/public.decorator';
import { ReadinessIndicator } from './readiness.indicator';

/** Probes for orchestrators and load balancers: no key needed. */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessIndicator,
    private readonly keys: ClientKeyService,
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

  /**
   * Config loaded and the default backend answering (200, else 503). Without a key the body says only that
   * ({"status":"ok"|"error"}); with any configured key it names every backend and its state.
   */
  @Public()
  @Get('health/ready')
  @HealthCheck()
  async ready(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<HealthCheckResult | { status: HealthCheckResult['status'] }> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check([() => this.readiness.config(), () => this.readiness.backends(), () => this.readiness.accepting()]);
    } catch (err) {
      // Terminus throws 503 with the result; the body must stay the health JSON, not an OpenAI error.
      if (!(err instanceof ServiceUnavailableException)) throw err;
      res.status(503);
      result = err.getResponse() as HealthCheckResult;
    }
    return this.keys.forRequest(req) ? result : { status: result.status };
  }
}
