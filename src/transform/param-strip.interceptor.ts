import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { proxyContextOf } from '../routing/request-context.interceptor';
import { stripParams } from './request-transforms';

/** Registers the removal of the backend's unsupported_params; applied per target when it is tried. */
@Injectable()
export class ParamStripInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    proxyContextOf(context).transforms.push((body, backend) => stripParams(body, backend.unsupportedParams));
    return next.handle();
  }
}
