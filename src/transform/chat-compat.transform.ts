import { Injectable } from '@nestjs/common';
import type { ProxyContext } from '../common/proxy-context';
import { toChatCompletions } from './chat-compat';
import type { TransformStep } from './transform-step';

/**
 * The client-shape fixes for /chat/completions (Responses-shaped bodies, flat and custom tools,
 * `content: []`), made to the body here: they do not depend on the backend. Other endpoints go as sent:
 * a backend that declares "responses" gets Responses bodies unconverted.
 */
@Injectable()
export class ChatCompatTransform implements TransformStep {
  apply(ctx: ProxyContext): void {
    if (ctx.endpoint === 'chat/completions') ctx.body = toChatCompletions(ctx.body);
  }
}
