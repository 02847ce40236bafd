import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { resolveAlias } from '../routing/model-routing';
import { proxyContextOf } from '../routing/request-context.interceptor';

/** Replaces an alias (exact name) by its target list, e.g. "o1" -> ["groq/deepseek-r1", "ollama/qwq"]. */
@Injectable()
export class AliasInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = proxyContextOf(context);
    ctx.targetModels = resolveAlias(ctx.config, ctx.requestedModel);
    return next.handle();
  }
}
