import { Module } from '@nestjs/common';
import { TwilioModule } from '../telephony/twilio/twilio.module';
import { LinesModule } from './lines/lines.module';
import { IvrMenusModule } from './menus/menus.module';
import { IvrSessionsModule } from './sessions/ivr-sessions.module';

/**
 * IVR (API.md "IVR (phone menus)" and "Phone lines"): menus, call sessions and phone lines, one
 * sub-module each; the telephony providers' webhooks (apps/gateway/src/telephony) drive the sessions.
 */
@Module({
  imports: [IvrMenusModule, IvrSessionsModule, LinesModule, TwilioModule],
})
export class IvrModule {}
