import { Module } from '@nestjs/common';
import { BackendsModule } from '../backends/backends.module';
import { RoutingModule } from '../routing/routing.module';
import { MessagesController } from './messages.controller';

/** POST /v1/messages and /v1/messages/count_tokens, for Claude Code and other Anthropic clients. */
@Module({
  imports: [BackendsModule, RoutingModule],
  controllers: [MessagesController],
})
export class MessagesModule {}
