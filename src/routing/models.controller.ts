import { Controller, Get, Req } from '@nestjs/common';
import type { RouterRequest } from '../common/proxy-context';
import { geminiModel } from '../backends/google-model';
import { ModelCatalogService, ModelEntry } from '../backends/model-catalog.service';
import { isGoogleModelsRequest } from '../common/gemini-path';
import { RouterConfigService } from '../config/router-config.service';
import { KeyLimited } from './proxy-endpoint.metadata';

@Controller()
export class ModelsController {
  constructor(
    private readonly catalog: ModelCatalogService,
    private readonly configService: RouterConfigService,
  ) {}

  @Get(['v1/models', 'models'])
  @KeyLimited()
  async list(@Req() req: RouterRequest): Promise<{ object: 'list'; data: ModelEntry[] } | { models: Record<string, unknown>[] }> {
    const key = req.clientKey; // resolved once by ApiKeyGuard
    const models = await this.catalog.list(this.configService.current);
    // Only what this key may ask for (its allowed_models apply to these client-facing names).
    const allowed = key ? models.filter((m) => key.allowsModel(m.id)) : [];
    // The Gen AI SDK lists models here too (API version v1), with x-goog-api-key: Google's shape for it.
    if (isGoogleModelsRequest(req)) return { models: allowed.map(geminiModel) };
    return { object: 'list', data: allowed };
  }
}
