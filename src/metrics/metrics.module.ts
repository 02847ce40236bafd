import { Module } from '@nestjs/common';
import { MetricsKeyGuard } from './metrics-key.guard';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsKeyGuard],
  exports: [MetricsService],
})
export class MetricsModule {}
