import { Module } from '@nestjs/common';
import { HooksController } from './inbound-hooks.controller';
import { InboundHooksService } from './inbound-hooks.service';

/**
 * `POST /v1/hooks/:token`: webhook-triggered rules, authenticated by their token. Named inbound to
 * tell it from `webhooks/` (the endpoints Ruleflow delivers to).
 */
@Module({ controllers: [HooksController], providers: [InboundHooksService] })
export class InboundHooksModule {}
