import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { OpenAIError } from '../common/openai-error';
import { RouterConfigService } from '../config/router-config.service';
import { RateLimitService } from './rate-limit.service';
import type { RouterRequest } from '../common/proxy-context';
import { dialectOf } from '../common/error-dialect';
import { ClientKeyService } from '../auth/client-key.service';
import { presentedKey } from '../auth/presented-key';
import { IS_PUBLIC } from '../auth/public.decorator';

/**
 * Global guard: every route needs `Authorization: Bearer <key>` unless it is marked @Public(); the
 * Anthropic Messages paths also take the key as `x-api-key` (see presentedKey).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ClientKeyService,
    private readonly limits: RateLimitService,
    private readonly configService: RouterConfigService,
  ) {}

  /** Synchronous for a good key: only a wrong one waits (for the failed-attempts limit). */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.reflector.get<boolean>(IS_PUBLIC, context.getHandler())) return true;
    const req = context.switchToHttp().getRequest<RouterRequest>();
    // Resolved once (the body gate already looked it up): later guards and handlers read it from the request.
    const key = this.keys.forRequest(req);
    if (key) {
      req.apiKeyName = key.name;
      req.clientKey = key;
      return true;
    }
    const presented = presentedKey(req);
    if (presented === undefined) {
      const dialect = dialectOf(req);
      const how =
        dialect === 'anthropic'
          ? '"x-api-key: <your LLM-router key>" or '
          : dialect === 'google'
            ? '"x-goog-api-key: <your LLM-router key>", "?key=<your LLM-router key>" or '
            : '';
      throw new OpenAIError(401, 'missing_api_key', `Missing API key: send ${how}"Authorization: Bearer <your LLM-router key>".`);
    }
    return this.reject(req, presented);
  }

  private async reject(req: RouterRequest, presented: string): Promise<boolean> {
    // Only wrong keys count against the address: a valid key is accepted even from a limited one.
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const limited = await this.limits.authFailure(address, this.configService.current.authFailuresPerMinute);
    throw limited ?? new OpenAIError(401, 'invalid_api_key', invalidKeyMessage(presented));
  }
}

/** Never echoes the key; only says which kind of key it looks like when it is a provider's. */
export function invalidKeyMessage(presented: string): string {
  const provider = presented.startsWith('gsk_')
    ? 'a Groq API key'
    : presented.startsWith('sk-ant-')
      ? 'an Anthropic API key'
      : presented.startsWith('sk-')
        ? 'an OpenAI API key'
        : undefined;
  if (provider) {
    return `Incorrect API key: this looks like ${provider}. Use the LLM-router key here; the router sends each backend its own key from the server's environment.`;
  }
  return 'Incorrect API key provided. Use the key LLM-router printed at startup or the one set in LLMROUTER_API_KEY.';
}
