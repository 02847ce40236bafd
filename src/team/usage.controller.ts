import { Controller, Get, Req } from '@nestjs/common';
import type { RouterRequest } from '../common/proxy-context';
import { UsageReport, UsageService } from './usage.service';

@Controller()
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  /** The router key sees every key's usage; a team key sees only its own. */
  @Get(['v1/usage', 'usage'])
  get(@Req() req: RouterRequest): Promise<UsageReport> {
    return this.usage.report(req.apiKeyName === 'default' ? undefined : (req.apiKeyName ?? ''));
  }
}
