import type { JsonObject } from '../common/proxy-context';
import type { CompiledBackend } from '../config/compiled-config';
import { rewriteRoles, stripMessageParams, stripParams } from './request-transforms';

/** A per-backend rewrite the pipeline chose for a request; applied to each target's body as it is tried. */
export type TargetRewrite = 'roles' | 'params';

/** One backend's rewrites, compiled once per loaded config (a reload brings new backend objects). */
interface CompiledRewrites {
  roles?: (body: JsonObject) => JsonObject;
  params?: (body: JsonObject) => JsonObject;
}

const compiled = new WeakMap<CompiledBackend, CompiledRewrites>();

function compile(backend: CompiledBackend): CompiledRewrites {
  const { roleRewrites, unsupportedMessageParams, unsupportedParams } = backend;
  const hasRoles = roleRewrites !== undefined && Object.keys(roleRewrites).length > 0;
  return {
    // A backend without rewrites gets none: its body goes as the client shaped it.
    roles:
      hasRoles || unsupportedMessageParams.length > 0
        ? (body) => stripMessageParams(hasRoles ? rewriteRoles(body, roleRewrites) : body, unsupportedMessageParams)
        : undefined,
    params: unsupportedParams.length > 0 ? (body) => stripParams(body, unsupportedParams) : undefined,
  };
}

/**
 * A target's body after the rewrites the pipeline chose, with that target's backend's own settings (so a
 * fallback gets its own role rewrites and parameter removals). The input is never mutated.
 */
export function rewriteForTarget(body: JsonObject, backend: CompiledBackend, rewrites: readonly TargetRewrite[]): JsonObject {
  let rules = compiled.get(backend);
  if (!rules) {
    rules = compile(backend);
    compiled.set(backend, rules);
  }
  for (const rewrite of rewrites) {
    const apply = rules[rewrite];
    if (apply) body = apply(body);
  }
  return body;
}
