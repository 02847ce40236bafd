import { Injectable } from '@nestjs/common';
import { OpenAIError } from '../common/openai-error';
import type { ProxyContext, RouteTarget } from '../common/proxy-context';
import { knownPrefixes, resolveTarget } from './model-routing';

/** Answers "where does this request go?": the ordered targets of a request, after alias resolution. */
@Injectable()
export class RoutingService {
  route(ctx: ProxyContext): RouteTarget[] {
    const targets: RouteTarget[] = [];
    for (const model of ctx.targetModels) {
      const target = resolveTarget(ctx.config, model);
      if (target) targets.push(target);
    }
    if (targets.length === 0) {
      const prefixes = knownPrefixes(ctx.config);
      throw new OpenAIError(
        404,
        'model_not_found',
        `The model "${ctx.requestedModel}" does not exist: no backend serves it and there is no default backend. ` +
          `Use one of the prefixes ${prefixes.map((p) => `"${p}"`).join(', ')} (for example "${prefixes[0] ?? 'ollama/'}MODEL") or an alias.`,
        'invalid_request_error',
      );
    }
    return targets;
  }
}
