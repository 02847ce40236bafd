import { Controller, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { BackendClientService } from '../backends/backend-client.service';
import type { ProxyContext, RouterRequest } from '../common/proxy-context';
import { ProxyContextParam } from './proxy-context.param';
import { ProxyRoute } from './proxy-route.decorator';
import { RoutingService } from './routing.service';

@Controller()
export class ChatCompletionsController {
  constructor(
    private readonly routing: RoutingService,
    private readonly backendClient: BackendClientService,
  ) {}

  @ProxyRoute('chat/completions')
  create(@ProxyContextParam() ctx: ProxyContext, @Req() req: RouterRequest, @Res() res: Response): Promise<void> {
    return this.backendClient.forward(ctx, this.routing.route(ctx), req, res);
  }
}
