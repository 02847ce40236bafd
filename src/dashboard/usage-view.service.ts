import { Injectable, Logger } from '@nestjs/common';
import { ClientKeyService } from '../auth/client-key.service';
import { ModelCatalogService } from '../backends/model-catalog.service';
import { RouterConfigService } from '../config/router-config.service';
import { KeyLimitUsage, RateLimitService } from '../team/rate-limit.service';
import { UsageHistory, UsageService } from '../team/usage.service';
import type { DashboardViewer } from './dashboard-key.guard';

export interface KeyView {
  name: string;
  /** Globs over model names; null means every model. */
  allowed_models: readonly string[] | null;
  limits: KeyLimitUsage[];
}

export interface UsageView extends UsageHistory {
  keys: KeyView[];
}

/** Usage, limits and allowed models: every key for an admin, only the viewer's own key otherwise. */
@Injectable()
export class UsageViewService {
  private readonly logger = new Logger('Dashboard');

  constructor(
    private readonly configService: RouterConfigService,
    private readonly keys: ClientKeyService,
    private readonly usage: UsageService,
    private readonly limits: RateLimitService,
    private readonly catalog: ModelCatalogService,
  ) {}

  async usageFor(viewer: DashboardViewer): Promise<UsageView> {
    const names = viewer.admin ? ['default', ...this.configService.current.apiKeys.map((k) => k.name)] : [viewer.keyName];
    const [history, keys] = await Promise.all([
      this.usage.history(viewer.admin ? undefined : viewer.keyName),
      Promise.all(names.map((name) => this.keyView(name))),
    ]);
    return { ...history, keys: keys.filter((k): k is KeyView => k !== undefined) };
  }

  /** The models a team key may ask for, as GET /v1/models lists them for that key. */
  async modelsFor(viewer: DashboardViewer): Promise<string[]> {
    const key = this.keys.byName(viewer.keyName);
    if (!key) return [];
    const models = await this.catalog.list(this.configService.current);
    return models.filter((m) => key.allowsModel(m.id)).map((m) => m.id);
  }

  private async keyView(name: string): Promise<KeyView | undefined> {
    const key = this.keys.byName(name);
    if (!key) return undefined;
    let limits: KeyLimitUsage[] = [];
    try {
      limits = await this.limits.usageOf(key);
    } catch (err) {
      // Redis away and no answer from the limiter: the limits are still shown, without the count.
      this.logger.debug(`could not read limits of "${name}": ${(err as Error).message}`);
      limits = [
        ...(key.requestsPerMinute ? [{ kind: 'requests_per_minute' as const, limit: key.requestsPerMinute, used: 0, reset_ms: 0 }] : []),
        ...(key.tokensPerMinute ? [{ kind: 'tokens_per_minute' as const, limit: key.tokensPerMinute, used: 0, reset_ms: 0 }] : []),
      ];
    }
    return { name, allowed_models: key.allowedModels ?? null, limits };
  }
}
