import { applyDecorators, Post, UseInterceptors } from '@nestjs/common';
import type { Endpoint } from '../config/router-config';
import { TransformPipelineInterceptor } from './transform-pipeline.interceptor';
import { ProxyEndpoint } from './proxy-endpoint.metadata';

/**
 * A proxied OpenAI endpoint, served with and without the /v1 prefix, behind the transform pipeline
 * (context -> alias -> chat-compat; each backend's role and parameter rewrites run per target, as it is tried).
 */
export const ProxyRoute = (endpoint: Endpoint) =>
  applyDecorators(Post([`v1/${endpoint}`, endpoint]), ProxyEndpoint(endpoint), UseInterceptors(TransformPipelineInterceptor));
