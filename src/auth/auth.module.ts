import { Module } from '@nestjs/common';
import { ClientKeyService } from './client-key.service';

@Module({
  providers: [ClientKeyService],
  exports: [ClientKeyService],
})
export class AuthModule {}
