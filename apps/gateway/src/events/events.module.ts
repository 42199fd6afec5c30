import { Module } from '@nestjs/common';
import { RulesModule } from '../rules/rules.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

@Module({
  imports: [RulesModule, WebhooksModule],
  controllers: [EventsController],
  providers: [EventsService],
  exports: [EventsService],
})
export class EventsModule {}
