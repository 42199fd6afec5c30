import { Module } from '@nestjs/common';
import { RulesModule } from '../rules/rules.module';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

@Module({
  imports: [RulesModule],
  controllers: [EventsController],
  providers: [EventsService],
  exports: [EventsService],
})
export class EventsModule {}
