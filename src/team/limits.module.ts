import { Module } from '@nestjs/common';
import { RateLimitService } from './rate-limit.service';
import { RedisConnectionService } from './redis-connection.service';

/** Redis (when configured) and the limiters; imported by AuthModule for the failed-authentication limit. */
@Module({
  providers: [RedisConnectionService, RateLimitService],
  exports: [RedisConnectionService, RateLimitService],
})
export class LimitsModule {}
