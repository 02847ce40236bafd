import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { presentedKey } from '../auth/presented-key';
import { sha256 } from '../auth/client-key.service';
import { OpenAIError } from '../common/openai-error';
import type { RouterRequest } from '../common/proxy-context';
import { RouterConfigService } from '../config/router-config.service';

/**
 * /metrics shows every client key's traffic, so team keys do not open it: only the router key, or the
 * scraper key in the env var that metrics_api_key_env names (read from the environment at startup).
 */
@Injectable()
export class MetricsKeyGuard implements CanActivate {
  constructor(private readonly configService: RouterConfigService) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<RouterRequest>();
    const presented = presentedKey(req);
    if (presented === undefined) {
      throw new OpenAIError(401, 'missing_api_key', 'Missing API key: send "Authorization: Bearer <router key or metrics key>".');
    }
    const digest = sha256(presented);
    let ok = false;
    for (const allowed of this.allowedKeys()) {
      // Compare with every allowed key, no early exit.
      if (timingSafeEqual(sha256(allowed), digest)) ok = true;
    }
    if (!ok) throw new OpenAIError(401, 'invalid_api_key', 'Incorrect API key for /metrics: use the router key or the metrics key.');
    return true;
  }

  private allowedKeys(): string[] {
    const keys = [this.configService.routerKey];
    const envName = this.configService.current.metricsApiKeyEnv;
    const metricsKey = envName ? this.configService.boot.env[envName] : undefined;
    if (metricsKey) keys.push(metricsKey);
    return keys;
  }
}
