import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard';
import { ClientKeyService } from './client-key.service';

@Module({
  providers: [ClientKeyService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ClientKeyService],
})
export class AuthModule {}
