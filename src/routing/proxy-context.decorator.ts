import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { RouterRequest } from '../common/proxy-context';

/** The request's ProxyContext, built by the transform pipeline. */
export const Proxy = createParamDecorator((_: unknown, context: ExecutionContext) => {
  return context.switchToHttp().getRequest<RouterRequest>().llmrouter;
});
