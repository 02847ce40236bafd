import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { BackendClientService } from '../backends/backend-client.service';
import { badRequest } from '../common/openai-error';
import type { JsonObject, ProxyContext, RouterRequest } from '../common/proxy-context';
import { ProxyContextParam } from '../routing/proxy-context.param';
import { ProxyRoute } from '../routing/proxy-route.decorator';
import { RoutingService } from '../routing/routing.service';
import { isObject } from '../common/json';
import { countInputTokens } from './count-tokens';
import { messagesBridge } from './messages-bridge';

/** The Anthropic Messages API: routed like chat, converted for backends that speak only chat. */
@Controller()
export class MessagesController {
  constructor(
    private readonly routing: RoutingService,
    private readonly backendClient: BackendClientService,
  ) {}

  @ProxyRoute('messages')
  create(@ProxyContextParam() ctx: ProxyContext, @Req() req: RouterRequest, @Res() res: Response): Promise<void> {
    const targets = this.routing.route(ctx);
    ctx.bridge = messagesBridge(ctx, targets);
    return this.backendClient.forward(ctx, targets, req, res);
  }

  /** Answered here, without a backend: an estimate with a real tokenizer. */
  @Post(['v1/messages/count_tokens', 'messages/count_tokens'])
  @HttpCode(200)
  countTokens(@Body() body: unknown): { input_tokens: number } {
    if (!isObject(body)) throw badRequest('The request body must be a JSON object.', 'invalid_body');
    return { input_tokens: countInputTokens(body as JsonObject) };
  }
}
