import { Module } from '@nestjs/common';
import { BackendsModule } from '../backends/backends.module';
import { ChatCompletionsController } from './chat-completions.controller';
import { HealthController } from './health.controller';
import { ModelsController } from './models.controller';
import { RoutingService } from './routing.service';

@Module({
  imports: [BackendsModule],
  controllers: [ChatCompletionsController, ModelsController, HealthController],
  providers: [RoutingService],
  exports: [RoutingService],
})
export class RoutingModule {}
