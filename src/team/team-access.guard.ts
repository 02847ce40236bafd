import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { OpenAIError } from '../common/openai-error';
import type { RouterRequest } from '../common/proxy-context';
import { KEY_LIMITED, PROXY_ENDPOINT } from '../routing/proxy-endpoint.metadata';
import { pathModel } from '../routing/path-model';
import { MAX_MODEL_LENGTH } from '../routing/request-validation';
import { RateLimitService } from './rate-limit.service';

/**
 * Runs after ApiKeyGuard on proxied endpoints and @KeyLimited() routes, before anything is forwarded: the key must be allowed
 * the model as the client named it (before alias resolution), and be within its limits. A body without
 * a model string is left to the request validation that follows.
 */
@Injectable()
export class TeamAccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimitService,
  ) {}

  /** Synchronous unless the key has limits to check. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const handler = context.getHandler();
    if (!this.reflector.get<string>(PROXY_ENDPOINT, handler) && !this.reflector.get<boolean>(KEY_LIMITED, handler)) return true;
    const req = context.switchToHttp().getRequest<RouterRequest>();
    // Set by ApiKeyGuard, which runs first.
    const key = req.clientKey;
    if (!key) throw new OpenAIError(401, 'invalid_api_key', 'This API key is no longer configured.');
    const model = pathModel(req) ?? (req.body as { model?: unknown } | undefined)?.model;
    // Too long a name is refused by the validation that follows, without echoing it here.
    if (typeof model === 'string' && model.length <= MAX_MODEL_LENGTH && !key.allowsModel(model)) {
      throw new OpenAIError(
        403,
        'model_not_allowed',
        `The model "${model}" is not allowed for API key "${key.name}". GET /v1/models lists the models this key may use.`,
        'permission_error',
        {},
        'model',
      );
    }
    if (key.requestsPerMinute || key.tokensPerMinute) return this.limits.admit(key).then(() => true);
    return true;
  }
}
