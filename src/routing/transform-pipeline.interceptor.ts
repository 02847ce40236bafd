import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import type { RouterRequest } from '../common/proxy-context';
import type { Endpoint } from '../config/router-config';
import { RouterConfigService } from '../config/router-config.service';
import { toChatCompletions } from '../transform/chat-compat';
import { resolveAlias } from './model-routing';
import { PROXY_ENDPOINT } from './proxy-endpoint.metadata';
import { startProxyContext } from './start-proxy-context';

/**
 * The request pipeline of every proxied endpoint: check the body and start the ProxyContext, resolve an
 * alias to its target list, and make /chat/completions bodies valid Chat Completions (chat-compat: they
 * do not depend on the backend; other endpoints go as sent, so a backend that declares "responses" gets
 * Responses bodies unconverted). Each backend's own rewrites (roles, parameters) are applied per target
 * as it is tried (transform/backend-rewrites.ts). One interceptor, not one per step: each Nest
 * interceptor costs about 65 µs of CPU per request.
 */
@Injectable()
export class TransformPipelineInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly configService: RouterConfigService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<RouterRequest>();
    const endpoint = this.reflector.get<Endpoint>(PROXY_ENDPOINT, context.getHandler());
    const ctx = startProxyContext(req, endpoint, this.configService.current);
    ctx.targetModels = resolveAlias(ctx.config, ctx.requestedModel);
    if (endpoint === 'chat/completions') ctx.body = toChatCompletions(ctx.body);
    req.llmrouter = ctx;
    return next.handle();
  }
}
