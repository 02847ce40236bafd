import { Controller, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { BackendClientService } from '../backends/backend-client.service';
import type { ProxyContext, RouterRequest } from '../common/proxy-context';
import { ProxyContextParam } from './proxy-context.param';
import { ProxyRoute } from './proxy-route.decorator';
import { RoutingService } from './routing.service';

/** The rest of the OpenAI surface, routed like chat: legacy completions (FIM `suffix`), embeddings. Responses: src/responses/. */
@Controller()
export class OpenAIProxyController {
  constructor(
    private readonly routing: RoutingService,
    private readonly backendClient: BackendClientService,
  ) {}

  @ProxyRoute('completions')
  completions(@ProxyContextParam() ctx: ProxyContext, @Req() req: RouterRequest, @Res() res: Response): Promise<void> {
    return this.backendClient.forward(ctx, this.routing.route(ctx), req, res);
  }

  @ProxyRoute('embeddings')
  embeddings(@ProxyContextParam() ctx: ProxyContext, @Req() req: RouterRequest, @Res() res: Response): Promise<void> {
    return this.backendClient.forward(ctx, this.routing.route(ctx), req, res);
  }
}
