import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { BackendsModule } from '../backends/backends.module';
import { HealthModule } from '../health/health.module';
import { LimitsModule } from '../team/limits.module';
import { TeamModule } from '../team/team.module';
import { BackendsViewService } from './backends-view.service';
import { DashboardApiController } from './dashboard-api.controller';
import { DashboardKeyGuard } from './dashboard-key.guard';
import { DashboardPageController } from './dashboard-page.controller';
import { SharedTrafficService } from './shared-traffic.service';
import { TrafficRecorderService } from './traffic-recorder.service';
import { UsageViewService } from './usage-view.service';

/** The team dashboard at /ui: static page plus JSON endpoints, fed by counters the router keeps anyway. */
@Module({
  imports: [AuthModule, BackendsModule, HealthModule, LimitsModule, TeamModule],
  controllers: [DashboardPageController, DashboardApiController],
  providers: [TrafficRecorderService, SharedTrafficService, BackendsViewService, UsageViewService, DashboardKeyGuard],
})
export class DashboardModule {}
