import type { CompiledBackend, RouterConfig } from '../config/compiled-config';
import type { RouteTarget } from '../common/proxy-context';

// Pure routing rules, in the order users can rely on:
// alias (exact name) -> backend by longest matching prefix, stripped once -> default backend, model unchanged.

/** The `prefix/model` names a requested model stands for: an alias's targets, or the model itself. */
export function resolveAlias(config: RouterConfig, model: string): readonly string[] {
  return config.aliases.get(model) ?? [model];
}

/** The backend serving one model name and the model name it knows, or undefined when none does. */
export function resolveTarget(config: RouterConfig, model: string): RouteTarget | undefined {
  for (const backend of config.backendsByPrefix) {
    if (model.length > backend.prefix.length && model.startsWith(backend.prefix)) {
      return { backend, model: model.slice(backend.prefix.length) };
    }
  }
  return config.defaultBackend ? { backend: config.defaultBackend, model } : undefined;
}

export function knownPrefixes(config: RouterConfig): string[] {
  return [...new Set(config.backends.map((b: CompiledBackend) => b.prefix))];
}
