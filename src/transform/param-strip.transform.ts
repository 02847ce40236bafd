import { Injectable } from '@nestjs/common';
import type { ProxyContext } from '../common/proxy-context';
import type { TransformStep } from './transform-step';

/** Removal of the backend's unsupported_params, for each target as it is tried (backend-rewrites.ts). */
@Injectable()
export class ParamStripTransform implements TransformStep {
  apply(ctx: ProxyContext): void {
    ctx.targetRewrites.push('params');
  }
}
