import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { RouterRequest } from '../common/proxy-context';

/** The request's ProxyContext (started by the transform pipeline) as a handler parameter. */
export const ProxyContextParam = createParamDecorator((_: unknown, context: ExecutionContext) => {
  return context.switchToHttp().getRequest<RouterRequest>().llmrouter;
});
