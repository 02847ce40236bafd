import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthModule } from '../auth/auth.module';
import { ApiKeyGuard } from './api-key.guard';
import { LimitsModule } from './limits.module';
import { TeamAccessGuard } from './team-access.guard';
import { TrustProxyService } from './trust-proxy.service';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

/** Access: which key is calling, the models it may use, its rate limits and usage (shared between replicas through Redis). */
@Module({
  imports: [AuthModule, LimitsModule],
  controllers: [UsageController],
  providers: [
    UsageService,
    TrustProxyService,
    // Every access check, in the order it runs (Nest runs global guards in the order they are provided here,
    // then a route's own guards):
    // 1. ApiKeyGuard: a known key on every route not marked @Public() (health, the dashboard, /metrics).
    // 2. TeamAccessGuard: on proxied routes and @KeyLimited() ones (count_tokens, /v1/models), the key's model
    //    allow-list and rate limits (needs the key from 1).
    // The @Public() routes with their own key: MetricsKeyGuard (/metrics), DashboardKeyGuard (dashboard data).
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: TeamAccessGuard },
  ],
  exports: [UsageService],
})
export class TeamModule {}
