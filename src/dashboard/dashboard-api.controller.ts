import { Controller, Get, Query } from '@nestjs/common';
import { OpenAIError } from '../common/openai-error';
import { BackendsViewService } from './backends-view.service';
import { DashboardData, Viewer } from './dashboard-data.decorator';
import type { DashboardViewer } from './dashboard-key.guard';
import { SharedTrafficService } from './shared-traffic.service';
import { RECENT_REQUESTS, RequestLine } from './traffic-recorder.service';
import { UsageViewService } from './usage-view.service';

/** The JSON behind /ui. An admin sees every key and backend; a team key sees its own usage and requests. */
@Controller('ui/api')
export class DashboardApiController {
  constructor(
    private readonly backendsView: BackendsViewService,
    private readonly usageView: UsageViewService,
    private readonly shared: SharedTrafficService,
  ) {}

  @DashboardData()
  @Get('me')
  async me(@Viewer() viewer: DashboardViewer) {
    // An admin may use every model; a member's list is what GET /v1/models shows that key.
    if (viewer.admin) return { role: 'admin', key: viewer.keyName };
    return { role: 'member', key: viewer.keyName, models: await this.usageView.modelsFor(viewer) };
  }

  @DashboardData()
  @Get('backends')
  backends(@Viewer() viewer: DashboardViewer) {
    if (!viewer.admin) throw new OpenAIError(403, 'admin_only', 'Only the router key or the admin key sees the backends.');
    return this.backendsView.backends();
  }

  @DashboardData()
  @Get('usage')
  usage(@Viewer() viewer: DashboardViewer) {
    return this.usageView.usageFor(viewer);
  }

  @DashboardData()
  @Get('requests')
  async requests(@Viewer() viewer: DashboardViewer, @Query('errors') errors?: string) {
    const errorsOnly = errors === '1' || errors === 'true';
    const { shared, lines } = await this.shared.lines({ key: viewer.admin ? null : viewer.keyName, errorsOnly });
    return {
      capacity: RECENT_REQUESTS,
      shared,
      data: lines.map(({ at, ...line }: RequestLine) => ({ time: new Date(at).toISOString(), ...line })),
    };
  }
}
