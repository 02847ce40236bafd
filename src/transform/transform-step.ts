import type { ProxyContext } from '../common/proxy-context';

/**
 * One step of the transform pipeline. A step that does not depend on the backend changes ctx.body; one
 * that does (role rewrites, parameter removal) adds its rewrite to ctx.targetRewrites, applied to each
 * target with that target's backend settings, compiled once per config (backend-rewrites.ts), so a
 * fallback target gets its own backend's rewrites.
 */
export interface TransformStep {
  apply(ctx: ProxyContext): void;
}
