import { Module } from '@nestjs/common';
import { BackendsModule } from '../backends/backends.module';
import { ChatCompletionsController } from './chat-completions.controller';
import { ModelsController } from './models.controller';
import { OpenAIProxyController } from './openai-proxy.controller';
import { RoutingService } from './routing.service';

@Module({
  imports: [BackendsModule],
  controllers: [ChatCompletionsController, OpenAIProxyController, ModelsController],
  providers: [RoutingService],
  exports: [RoutingService],
})
export class RoutingModule {}
