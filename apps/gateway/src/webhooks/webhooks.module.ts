import { Module } from '@nestjs/common';
import { DeliveriesController } from './deliveries.controller';
import { DeliveryDispatcher } from './delivery-dispatcher.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Webhook endpoints, their deliveries, and the dispatcher (with its outbox) that starts delivery workflows. */
@Module({
  controllers: [WebhooksController, DeliveriesController],
  providers: [WebhooksService, DeliveryDispatcher],
  exports: [DeliveryDispatcher],
})
export class WebhooksModule {}
