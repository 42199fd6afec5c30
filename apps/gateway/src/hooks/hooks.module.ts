import { Module } from '@nestjs/common';
import { HooksController } from './hooks.controller';
import { HooksService } from './hooks.service';

/** `POST /v1/hooks/:token`: webhook-triggered rules, authenticated by their token. */
@Module({ controllers: [HooksController], providers: [HooksService] })
export class HooksModule {}
