import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { BackendClientService } from '../backends/backend-client.service';
import type { ProxyContext, RouterRequest } from '../common/proxy-context';
import { ProxyContextParam } from '../routing/proxy-context.param';
import { KeyLimited } from '../routing/proxy-endpoint.metadata';
import { ProxyRoute } from '../routing/proxy-route.decorator';
import { validateProxyBody } from '../routing/request-validation';
import { RoutingService } from '../routing/routing.service';
import { messagesInput } from './count-tokens';
import { messagesBridge } from './messages-bridge';
import { TokenCounterService } from './token-counter.service';

/** The Anthropic Messages API: routed like chat, converted for backends that speak only chat. */
@Controller()
export class MessagesController {
  constructor(
    private readonly routing: RoutingService,
    private readonly backendClient: BackendClientService,
    private readonly tokenCounter: TokenCounterService,
  ) {}

  @ProxyRoute('messages')
  create(@ProxyContextParam() ctx: ProxyContext, @Req() req: RouterRequest, @Res() res: Response): Promise<void> {
    const targets = this.routing.route(ctx);
    ctx.bridge = messagesBridge(ctx, targets);
    return this.backendClient.forward(ctx, targets, req, res);
  }

  /** Answered here, without a backend: an estimate with a real tokenizer, within the key's allow-list and limits. */
  @Post(['v1/messages/count_tokens', 'messages/count_tokens'])
  @KeyLimited()
  @HttpCode(200)
  async countTokens(@Body() body: unknown): Promise<{ input_tokens: number }> {
    // A model is required, as for a real request: the key's allow-list applies to it (TeamAccessGuard).
    const input = messagesInput(validateProxyBody('messages', body));
    return { input_tokens: input.tokens + (await this.tokenCounter.count(input.texts)) };
  }
}
