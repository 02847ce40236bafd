import { applyDecorators, createParamDecorator, ExecutionContext, Header, UseGuards } from '@nestjs/common';
import { Public } from '../auth/public.decorator';
import { DashboardKeyGuard, DashboardRequest, DashboardViewer } from './dashboard-key.guard';

/** A dashboard JSON endpoint: not the API's client-key guard but the dashboard's, and never cached. */
export const DashboardData = () => applyDecorators(Public(), UseGuards(DashboardKeyGuard), Header('cache-control', 'no-store'));

/** The viewer DashboardKeyGuard found. */
export const Viewer = createParamDecorator(
  (_: unknown, context: ExecutionContext): DashboardViewer => context.switchToHttp().getRequest<DashboardRequest>().dashboardViewer!,
);
