import { Module } from '@nestjs/common';
import { IvrSessionsModule } from '../../ivr/sessions/ivr-sessions.module';
import { TwilioController } from './twilio.controller';
import { TwilioVoiceService } from './twilio-voice.service';

/** The Twilio adapter: voice and status webhooks (signature, TwiML) driving IVR sessions. */
@Module({
  imports: [IvrSessionsModule],
  controllers: [TwilioController],
  providers: [TwilioVoiceService],
})
export class TwilioModule {}
