import type { Request } from 'express';

/** The route parameter that holds a model named in the path (Gemini: models/{model}:generateContent). */
export const PATH_MODEL_PARAM = 'modelPath';

/**
 * The model a request names in its path, or undefined when its route takes the model from the body.
 * Express 5 gives a `*modelPath` wildcard as its segments, each already URL-decoded: they are joined back
 * with "/", so "ollama/qwen3-coder:30b" arrives as it was written.
 */
export function pathModel(req: Pick<Request, 'params'>): string | undefined {
  const segments = (req.params as Record<string, unknown> | undefined)?.[PATH_MODEL_PARAM];
  return Array.isArray(segments) ? segments.join('/') : undefined;
}
