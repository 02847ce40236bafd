import type { JsonObject } from '../common/proxy-context';
import type { CompiledBackend } from '../config/compiled-config';
import { rewriteRoles, stripMessageParams, stripParams } from './request-transforms';

type Rewrite = (body: JsonObject) => JsonObject;

/** One backend's rewrites, compiled once per loaded config (a reload brings new backend objects); null when it has none. */
const compiled = new WeakMap<CompiledBackend, Rewrite | null>();

function compile(backend: CompiledBackend): Rewrite | null {
  const { roleRewrites, unsupportedMessageParams, unsupportedParams } = backend;
  const hasRoles = roleRewrites !== undefined && Object.keys(roleRewrites).length > 0;
  const hasMessageParams = unsupportedMessageParams.length > 0;
  const hasParams = unsupportedParams.length > 0;
  // A backend without rewrites gets none: its body goes as the client shaped it.
  if (!hasRoles && !hasMessageParams && !hasParams) return null;
  return (body) => {
    if (hasRoles) body = rewriteRoles(body, roleRewrites);
    if (hasMessageParams) body = stripMessageParams(body, unsupportedMessageParams);
    return hasParams ? stripParams(body, unsupportedParams) : body;
  };
}

/**
 * A target's body with its own backend's role rewrites, message-key removals and parameter removals (so
 * a fallback target gets its own), applied as each target is tried. The input is never mutated.
 */
export function rewriteForTarget(body: JsonObject, backend: CompiledBackend): JsonObject {
  let rewrite = compiled.get(backend);
  if (rewrite === undefined) {
    rewrite = compile(backend);
    compiled.set(backend, rewrite);
  }
  return rewrite ? rewrite(body) : body;
}
