import { Module } from '@nestjs/common';
import { IvrSessionsController } from './ivr-sessions.controller';
import { IvrSessionsService } from './ivr-sessions.service';

/** IVR call sessions (`/v1/ivr/sessions`); exports the service the telephony webhooks drive sessions with. */
@Module({
  controllers: [IvrSessionsController],
  providers: [IvrSessionsService],
  exports: [IvrSessionsService],
})
export class IvrSessionsModule {}
