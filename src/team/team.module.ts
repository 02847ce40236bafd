import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuthModule } from '../auth/auth.module';
import { LimitsModule } from './limits.module';
import { TeamAccessInterceptor } from './team-access.interceptor';
import { TrustProxyService } from './trust-proxy.service';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

/** Per-key model allow-lists, rate limits and usage, shared between replicas through Redis. */
@Module({
  imports: [AuthModule, LimitsModule],
  controllers: [UsageController],
  providers: [UsageService, TrustProxyService, { provide: APP_INTERCEPTOR, useClass: TeamAccessInterceptor }],
})
export class TeamModule {}
