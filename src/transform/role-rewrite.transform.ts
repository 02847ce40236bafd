import { Injectable } from '@nestjs/common';
import type { ProxyContext } from '../common/proxy-context';
import type { TransformStep } from './transform-step';

/** The backend's role rewrites and message-key removals, for each target as it is tried (backend-rewrites.ts). */
@Injectable()
export class RoleRewriteTransform implements TransformStep {
  apply(ctx: ProxyContext): void {
    ctx.targetRewrites.push('roles');
  }
}
