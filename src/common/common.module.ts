import { Global, Module } from '@nestjs/common';
import { RequestEventsService } from './request-events.service';

@Global()
@Module({ providers: [RequestEventsService], exports: [RequestEventsService] })
export class CommonModule {}
