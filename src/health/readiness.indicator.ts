import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { RouterConfigService } from '../config/router-config.service';
import { GracefulShutdownService } from '../lifecycle/graceful-shutdown.service';
import { BackendProbeService, BackendState } from './backend-probe.service';

/** The parts of /health/ready. Bodies name backends and states only, never addresses or keys. */
@Injectable()
export class ReadinessIndicator {
  constructor(
    private readonly configService: RouterConfigService,
    private readonly probes: BackendProbeService,
    private readonly shutdown: GracefulShutdownService,
  ) {}

  config(): HealthIndicatorResult {
    const config = this.configService.current;
    return { config: { status: 'up', backends: config.backends.length } };
  }

  /** Down (503) only when the default backend is: requests for other prefixes fail on their own. */
  async backends(): Promise<HealthIndicatorResult> {
    const config = this.configService.current;
    const states = await Promise.all(config.backends.map((b) => this.probes.state(b)));
    const byName: Record<string, BackendState> = {};
    config.backends.forEach((b, i) => (byName[b.name] = states[i]));
    const defaultName = config.defaultBackend?.name;
    const status = defaultName !== undefined && byName[defaultName].status === 'down' ? 'down' : 'up';
    return { backends: { status, default: defaultName ?? null, states: byName } };
  }

  /** A draining router (SIGTERM received) should get no new traffic. */
  accepting(): HealthIndicatorResult {
    return { accepting_requests: { status: this.shutdown.draining ? 'down' : 'up' } };
  }
}
