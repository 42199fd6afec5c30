import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';
import { ExecutionDispatcher } from './execution-dispatcher.service';

@Module({
  controllers: [EventsController],
  providers: [EventsService, ExecutionDispatcher],
  exports: [ExecutionDispatcher],
})
export class EventsModule {}
