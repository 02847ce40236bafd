import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { BOOT_OPTIONS, BootOptions, RouterConfigService } from './router-config.service';

@Global()
@Module({})
export class RouterConfigModule {
  static forRoot(boot: BootOptions): DynamicModule {
    return {
      module: RouterConfigModule,
      imports: [
        // The environment is read once in main.ts (after .env); Nest's ConfigService carries the boot options.
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ [BOOT_OPTIONS]: boot })] }),
      ],
      providers: [RouterConfigService],
      exports: [RouterConfigService],
    };
  }
}
