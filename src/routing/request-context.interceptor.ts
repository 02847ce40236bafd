import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import type { Endpoint } from '../config/router-config';
import { RouterConfigService } from '../config/router-config.service';
import { OpenAIError } from '../common/openai-error';
import { newOutcome, type ProxyContext, type RouterRequest } from '../common/proxy-context';
import { validateProxyBody } from './request-validation';

export const PROXY_ENDPOINT = 'llmrouter:endpoint';

/** First step of the proxy pipeline: checks the body and starts the request's ProxyContext. */
@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly configService: RouterConfigService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<RouterRequest>();
    const endpoint = this.reflector.get<Endpoint>(PROXY_ENDPOINT, context.getHandler());
    if (req.body === undefined) {
      throw new OpenAIError(415, 'unsupported_media_type', 'Send the request body as JSON with "Content-Type: application/json".');
    }
    const body = validateProxyBody(endpoint, req.body);
    req.llmrouter = {
      endpoint,
      config: this.configService.current,
      body,
      requestedModel: body.model as string,
      targetModels: [body.model as string],
      stream: body.stream === true,
      transforms: [],
      startedAt: (req as RouterRequest & { receivedAt?: bigint }).receivedAt ?? process.hrtime.bigint(),
      outcome: newOutcome(),
    } satisfies ProxyContext;
    return next.handle();
  }
}

export function proxyContextOf(context: ExecutionContext): ProxyContext {
  const ctx = context.switchToHttp().getRequest<RouterRequest>().llmrouter;
  if (!ctx) throw new Error('RequestContextInterceptor must run first');
  return ctx;
}
