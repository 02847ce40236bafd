import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuthModule } from '../auth/auth.module';
import { BackendsModule } from '../backends/backends.module';
import { LifecycleModule } from '../lifecycle/lifecycle.module';
import { BackendProbeService } from './backend-probe.service';
import { HealthController } from './health.controller';
import { ReadinessIndicator } from './readiness.indicator';

@Module({
  // Terminus would log every failed probe; BackendProbeService logs up/down transitions instead.
  imports: [TerminusModule.forRoot({ logger: false }), AuthModule, BackendsModule, LifecycleModule],
  controllers: [HealthController],
  providers: [BackendProbeService, ReadinessIndicator],
  // The dashboard shows the same probe results (one cache, so backends are not probed twice).
  exports: [BackendProbeService],
})
export class HealthModule {}
