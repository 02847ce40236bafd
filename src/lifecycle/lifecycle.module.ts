import { Module } from '@nestjs/common';
import { ConfigReloadService } from './config-reload.service';
import { GracefulShutdownService } from './graceful-shutdown.service';

@Module({
  providers: [ConfigReloadService, GracefulShutdownService],
  exports: [ConfigReloadService, GracefulShutdownService],
})
export class LifecycleModule {}
