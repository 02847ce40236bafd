import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard';
import { LimitsModule } from '../team/limits.module';
import { ClientKeyService } from './client-key.service';

@Module({
  imports: [LimitsModule],
  providers: [ClientKeyService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ClientKeyService],
})
export class AuthModule {}
