import { Injectable } from '@nestjs/common';
import type { JsonObject, ProxyContext } from '../common/proxy-context';
import type { CompiledBackend } from '../config/compiled-config';
import { stripParams } from './request-transforms';
import type { TransformStep } from './transform-step';

const stripForBackend = (body: JsonObject, backend: CompiledBackend) => stripParams(body, backend.unsupportedParams);

/** Removal of the backend's unsupported_params, applied per target as it is tried. */
@Injectable()
export class ParamStripTransform implements TransformStep {
  apply(ctx: ProxyContext): void {
    ctx.transforms.push(stripForBackend);
  }
}
