import { Injectable } from '@nestjs/common';
import type { ProxyContext } from '../common/proxy-context';
import { resolveAlias } from '../routing/model-routing';
import type { TransformStep } from './transform-step';

/** Replaces an alias (exact name) by its target list, e.g. "o1" -> ["groq/deepseek-r1", "ollama/qwq"]. */
@Injectable()
export class AliasTransform implements TransformStep {
  apply(ctx: ProxyContext): void {
    ctx.targetModels = resolveAlias(ctx.config, ctx.requestedModel);
  }
}
