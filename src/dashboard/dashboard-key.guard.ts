import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ClientKeyService, sha256 } from '../auth/client-key.service';
import { presentedKey } from '../auth/presented-key';
import { OpenAIError } from '../common/openai-error';
import type { RouterRequest } from '../common/proxy-context';
import { RouterConfigService } from '../config/router-config.service';
import { RateLimitService } from '../team/rate-limit.service';

/** Who is looking at the dashboard: an admin sees everything, a team key only its own numbers. */
export interface DashboardViewer {
  admin: boolean;
  /** The key's name: "default" for the router key, "admin" for the admin key, else the api_keys entry. */
  keyName: string;
}

export type DashboardRequest = RouterRequest & { dashboardViewer?: DashboardViewer };

/**
 * The dashboard's data endpoints: the router key or the key in `admin_api_key_env` opens everything,
 * a team key opens its own view, anything else is 401 (and counts against the address, as on the API).
 */
@Injectable()
export class DashboardKeyGuard implements CanActivate {
  constructor(
    private readonly configService: RouterConfigService,
    private readonly keys: ClientKeyService,
    private readonly limits: RateLimitService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<DashboardRequest>();
    const presented = presentedKey(req);
    if (presented === undefined) {
      throw new OpenAIError(401, 'missing_api_key', 'Missing API key: sign in with the router key, the admin key or your own key.');
    }
    req.dashboardViewer = this.viewerFor(presented, req);
    if (!req.dashboardViewer) {
      const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
      const limited = await this.limits.authFailure(address, this.configService.current.authFailuresPerMinute);
      throw limited ?? new OpenAIError(401, 'invalid_api_key', 'Incorrect API key for the dashboard.');
    }
    return true;
  }

  private viewerFor(presented: string, req: DashboardRequest): DashboardViewer | undefined {
    const digest = sha256(presented);
    const adminKey = this.adminKey();
    // Both compared every time, no early exit.
    const isRouterKey = timingSafeEqual(sha256(this.configService.routerKey), digest);
    const isAdminKey = adminKey !== undefined && timingSafeEqual(sha256(adminKey), digest);
    const client = this.keys.forRequest(req);
    if (isRouterKey) return { admin: true, keyName: 'default' };
    if (isAdminKey) return { admin: true, keyName: 'admin' };
    return client ? { admin: false, keyName: client.name } : undefined;
  }

  private adminKey(): string | undefined {
    const envName = this.configService.current.adminApiKeyEnv;
    return (envName && this.configService.boot.env[envName]) || undefined;
  }
}
