import type { Endpoint } from '../config/router-config';
import type { RouterConfig } from '../config/compiled-config';
import { dialectOf } from '../common/error-dialect';
import { OpenAIError } from '../common/openai-error';
import { newOutcome, type ProxyContext, type RouterRequest } from '../common/proxy-context';
import { isObject } from '../common/json';
import { pathModel } from './path-model';
import { validateProxyBody } from './request-validation';

/** Checks the body of a proxied request and starts its ProxyContext (on a config snapshot). */
export function startProxyContext(req: RouterRequest, endpoint: Endpoint, config: RouterConfig): ProxyContext {
  if (req.body === undefined) {
    throw new OpenAIError(415, 'unsupported_media_type', 'Send the request body as JSON with "Content-Type: application/json".');
  }
  const inPath = pathModel(req);
  // A model named in the path (Gemini) is the request's model; the body names none.
  const body = validateProxyBody(endpoint, inPath !== undefined && isObject(req.body) ? { ...req.body, model: inPath } : req.body);
  return {
    endpoint,
    config,
    body,
    requestedModel: body.model as string,
    targetModels: [body.model as string],
    stream: body.stream === true,
    dialect: dialectOf(req),
    startedAt: (req as RouterRequest & { receivedAt?: bigint }).receivedAt ?? process.hrtime.bigint(),
    outcome: newOutcome(),
  };
}
