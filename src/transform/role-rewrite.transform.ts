import { Injectable } from '@nestjs/common';
import type { JsonObject, ProxyContext } from '../common/proxy-context';
import type { CompiledBackend } from '../config/compiled-config';
import { rewriteRoles, stripMessageParams } from './request-transforms';
import type { TransformStep } from './transform-step';

const rewriteForBackend = (body: JsonObject, backend: CompiledBackend) =>
  stripMessageParams(rewriteRoles(body, backend.roleRewrites), backend.unsupportedMessageParams);

/** The backend's role rewrites and message-key removals, applied per target as it is tried. */
@Injectable()
export class RoleRewriteTransform implements TransformStep {
  apply(ctx: ProxyContext): void {
    ctx.transforms.push(rewriteForBackend);
  }
}
