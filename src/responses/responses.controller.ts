import { Controller, Delete, Get, Param, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { BackendClientService } from '../backends/backend-client.service';
import { OpenAIError } from '../common/openai-error';
import type { JsonObject, ProxyContext, RouterRequest } from '../common/proxy-context';
import { membersOf } from '../config/compiled-config';
import { ProxyContextParam } from '../routing/proxy-context.param';
import { ProxyRoute } from '../routing/proxy-route.decorator';
import { RoutingService } from '../routing/routing.service';
import { ConversationStateService } from './conversation-state.service';
import { ResponsesBridgeService } from './responses-bridge.service';

/**
 * POST /v1/responses: passed through untouched to backends that list "responses" in `endpoints`, bridged
 * to /chat/completions for the others. GET and DELETE serve the responses the bridge stored.
 */
@Controller()
export class ResponsesController {
  constructor(
    private readonly routing: RoutingService,
    private readonly backendClient: BackendClientService,
    private readonly bridges: ResponsesBridgeService,
    private readonly state: ConversationStateService,
  ) {}

  @ProxyRoute('responses')
  async create(@ProxyContextParam() ctx: ProxyContext, @Req() req: RouterRequest, @Res() res: Response): Promise<void> {
    const targets = this.routing.route(ctx);
    const backends = targets.flatMap((t) => membersOf(t.backend)); // a pool's members may differ in endpoints
    const bridged = backends.filter((b) => !b.endpoints.has('responses') && b.endpoints.has('chat/completions'));
    if (bridged.length > 0) ctx.bridge = await this.bridges.create(ctx, keyOf(req), bridged.length === backends.length);
    return this.backendClient.forward(ctx, targets, req, res);
  }

  /**
   * Codex tries a WebSocket upgrade on this path first (OpenAI-Beta: responses_websockets=…). The router
   * serves Responses over HTTP only: 426, on which Codex falls back to HTTP POST at once.
   */
  @Get(['v1/responses', 'responses'])
  webSocket(): never {
    throw new OpenAIError(426, 'websocket_not_supported', 'The Responses API is served over HTTP only here: send POST /v1/responses (no WebSocket).', 'invalid_request_error', {
      connection: 'close',
    });
  }

  @Get(['v1/responses/:id', 'responses/:id'])
  get(@Param('id') id: string, @Req() req: RouterRequest): Promise<JsonObject> {
    return this.state.get(id, keyOf(req));
  }

  @Get(['v1/responses/:id/input_items', 'responses/:id/input_items'])
  inputItems(@Param('id') id: string, @Req() req: RouterRequest): Promise<JsonObject> {
    return this.state.inputItems(id, keyOf(req));
  }

  @Delete(['v1/responses/:id', 'responses/:id'])
  delete(@Param('id') id: string, @Req() req: RouterRequest): Promise<JsonObject> {
    return this.state.delete(id, keyOf(req));
  }
}

function keyOf(req: RouterRequest): string {
  return req.apiKeyName ?? 'default';
}
