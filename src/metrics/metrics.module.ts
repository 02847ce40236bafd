import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { MetricsKeyGuard } from './metrics-key.guard';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsKeyGuard],
  exports: [MetricsService],
})
export class MetricsModule implements NestModule {
  constructor(private readonly metrics: MetricsService) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(this.metrics.track).forRoutes('{*path}');
  }
}
