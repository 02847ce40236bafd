import { Module } from '@nestjs/common';
import { BackendsModule } from '../backends/backends.module';
import { RoutingModule } from '../routing/routing.module';
import { LimitsModule } from '../team/limits.module';
import { ConversationStateService } from './conversation-state.service';
import { ResponseStoreService } from './response-store.service';
import { ResponsesBridgeService } from './responses-bridge.service';
import { ResponsesController } from './responses.controller';

/** The OpenAI Responses API for every backend: native pass-through, or bridged to Chat Completions. */
@Module({
  imports: [BackendsModule, RoutingModule, LimitsModule],
  controllers: [ResponsesController],
  providers: [ResponseStoreService, ConversationStateService, ResponsesBridgeService],
})
export class ResponsesModule {}
