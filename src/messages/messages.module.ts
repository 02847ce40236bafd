import { Module } from '@nestjs/common';
import { BackendsModule } from '../backends/backends.module';
import { RoutingModule } from '../routing/routing.module';
import { MessagesController } from './messages.controller';
import { TokenCounterService } from './token-counter.service';

/** POST /v1/messages and /v1/messages/count_tokens, for Claude Code and other Anthropic clients. */
@Module({
  imports: [BackendsModule, RoutingModule],
  controllers: [MessagesController],
  providers: [TokenCounterService],
  // The Gemini door's countTokens uses the same counter (one worker thread for the process).
  exports: [TokenCounterService],
})
export class MessagesModule {}
