import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthModule } from '../auth/auth.module';
import { LimitsModule } from './limits.module';
import { TeamAccessGuard } from './team-access.guard';
import { TrustProxyService } from './trust-proxy.service';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

/** Per-key model allow-lists, rate limits and usage, shared between replicas through Redis. */
@Module({
  imports: [AuthModule, LimitsModule],
  controllers: [UsageController],
  providers: [
    UsageService,
    TrustProxyService,
    // After ApiKeyGuard (AuthModule registers it first), so the key is known when access is checked.
    { provide: APP_GUARD, useClass: TeamAccessGuard },
  ],
  exports: [UsageService],
})
export class TeamModule {}
