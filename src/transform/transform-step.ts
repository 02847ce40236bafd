import type { ProxyContext } from '../common/proxy-context';

/**
 * One step of the transform pipeline. Steps that depend on the backend do not change the body here:
 * they register a RequestTransform in ctx.transforms, applied to each target as it is tried, so a
 * fallback target gets its own backend's rewrites.
 */
export interface TransformStep {
  apply(ctx: ProxyContext): void;
}
