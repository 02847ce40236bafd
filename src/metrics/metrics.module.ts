import { Module } from '@nestjs/common';
import { BackendsModule } from '../backends/backends.module';
import { MetricsKeyGuard } from './metrics-key.guard';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({
  imports: [BackendsModule],
  controllers: [MetricsController],
  providers: [MetricsService, MetricsKeyGuard],
  exports: [MetricsService],
})
export class MetricsModule {}
