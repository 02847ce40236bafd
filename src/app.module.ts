import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { BackendsModule } from './backends/backends.module';
import { CommonModule } from './common/common.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { RouterConfigModule } from './config/router-config.module';
import type { BootOptions } from './config/router-config.service';
import { GeminiModule } from './gemini/gemini.module';
import { HealthModule } from './health/health.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { LoggingModule } from './logging/logging.module';
import { MessagesModule } from './messages/messages.module';
import { MetricsModule } from './metrics/metrics.module';
import { ResponsesModule } from './responses/responses.module';
import { RoutingModule } from './routing/routing.module';
import { TeamModule } from './team/team.module';

@Module({})
export class AppModule {
  static forRoot(boot: BootOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RouterConfigModule.forRoot(boot),
        CommonModule,
        LoggingModule,
        AuthModule,
        BackendsModule,
        RoutingModule,
        ResponsesModule,
        MessagesModule,
        GeminiModule,
        TeamModule,
        MetricsModule,
        HealthModule,
        LifecycleModule,
        DashboardModule,
      ],
    };
  }
}
