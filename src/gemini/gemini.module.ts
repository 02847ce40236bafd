import { Module } from '@nestjs/common';
import { BackendsModule } from '../backends/backends.module';
import { MessagesModule } from '../messages/messages.module';
import { RoutingModule } from '../routing/routing.module';
import { GeminiController } from './gemini.controller';

/** Google's Gemini API: models/{model}:generateContent and friends, for Gemini CLI and the Gen AI SDK. */
@Module({
  imports: [BackendsModule, RoutingModule, MessagesModule],
  controllers: [GeminiController],
})
export class GeminiModule {}
