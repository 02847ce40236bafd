import { Controller, Get, Req } from '@nestjs/common';
import { ClientKeyService } from '../auth/client-key.service';
import type { RouterRequest } from '../common/proxy-context';
import { ModelCatalogService, ModelEntry } from '../backends/model-catalog.service';
import { RouterConfigService } from '../config/router-config.service';
import { KeyLimited } from './proxy-endpoint.metadata';

@Controller()
export class ModelsController {
  constructor(
    private readonly catalog: ModelCatalogService,
    private readonly configService: RouterConfigService,
    private readonly keys: ClientKeyService,
  ) {}

  @Get(['v1/models', 'models'])
  @KeyLimited()
  async list(@Req() req: RouterRequest): Promise<{ object: 'list'; data: ModelEntry[] }> {
    const key = this.keys.byName(req.apiKeyName);
    const models = await this.catalog.list(this.configService.current);
    // Only what this key may ask for (its allowed_models apply to these client-facing names).
    return { object: 'list', data: key ? models.filter((m) => key.allowsModel(m.id)) : [] };
  }
}
