import { applyDecorators, Post, UseInterceptors } from '@nestjs/common';
import { ProxyEndpoint } from '../routing/proxy-endpoint.metadata';
import { PATH_MODEL_PARAM } from '../routing/path-model';
import { TransformPipelineInterceptor } from '../routing/transform-pipeline.interceptor';

/** The method a Gemini client calls on a model: the text after the last ":" of the path. */
export type GeminiMethod = 'generateContent' | 'streamGenerateContent' | 'countTokens' | 'batchEmbedContents' | 'embedContent';

/**
 * `models/{model}:{method}` under /v1beta, /v1 and no version prefix. The model may hold "/" and ":"
 * (ollama/qwen3-coder:30b): the wildcard takes everything up to the last ":{method}".
 */
export function geminiPaths(method: GeminiMethod): string[] {
  return ['v1beta/', 'v1/', ''].map((version) => `${version}models/*${PATH_MODEL_PARAM}\\:${method}`);
}

/** A proxied Gemini method, behind the same guards and transform pipeline as the other doors. */
export const GeminiRoute = (method: GeminiMethod) =>
  applyDecorators(Post(geminiPaths(method)), ProxyEndpoint('gemini'), UseInterceptors(TransformPipelineInterceptor));
