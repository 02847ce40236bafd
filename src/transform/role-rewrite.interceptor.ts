import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { proxyContextOf } from '../routing/request-context.interceptor';
import { rewriteRoles, stripMessageParams } from './request-transforms';

/** Registers the backend's role rewrites and message-key removals; applied per target when it is tried. */
@Injectable()
export class RoleRewriteInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    proxyContextOf(context).transforms.push((body, backend) =>
      stripMessageParams(rewriteRoles(body, backend.roleRewrites), backend.unsupportedMessageParams),
    );
    return next.handle();
  }
}
