import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { proxyContextOf } from '../routing/request-context.interceptor';
import { toChatCompletions } from './chat-compat';

/**
 * Registers the client-shape fixes for /chat/completions (Responses-shaped bodies, flat and custom
 * tools, `content: []`). Other endpoints go as sent: a backend that declares "responses" gets
 * Responses bodies unconverted.
 */
@Injectable()
export class ChatCompatInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    proxyContextOf(context).transforms.push((body, _backend, endpoint) =>
      endpoint === 'chat/completions' ? toChatCompletions(body) : body,
    );
    return next.handle();
  }
}
