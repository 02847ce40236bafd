import { Controller, Get } from '@nestjs/common';
import { ModelCatalogService, ModelEntry } from '../backends/model-catalog.service';
import { RouterConfigService } from '../config/router-config.service';

@Controller()
export class ModelsController {
  constructor(
    private readonly catalog: ModelCatalogService,
    private readonly configService: RouterConfigService,
  ) {}

  @Get(['v1/models', 'models'])
  async list(): Promise<{ object: 'list'; data: ModelEntry[] }> {
    return { object: 'list', data: await this.catalog.list(this.configService.current) };
  }
}
