import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module';
import { BackendsModule } from './backends/backends.module';
import { CommonModule } from './common/common.module';
import { RouterConfigModule } from './config/router-config.module';
import type { BootOptions } from './config/router-config.service';
import { LoggingModule } from './logging/logging.module';
import { RoutingModule } from './routing/routing.module';
import { TransformModule } from './transform/transform.module';

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
        TransformModule,
        BackendsModule,
        RoutingModule,
      ],
    };
  }
}
