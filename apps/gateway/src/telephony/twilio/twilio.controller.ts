import {
  Controller,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-docs';
import type { Request, Response } from 'express';
import { Public } from '../../auth/scopes';
import { formOf } from '../../common/json-guard';
import { TwilioVoiceService } from './twilio-voice.service';

/**
 * Twilio's webhooks for a phone line (`voiceUrl`, `statusCallbackUrl`): no API key, the token in the path
 * names the line and X-Twilio-Signature authenticates. Form bodies are read by `formBody` (app.factory).
 */
/** The form fields Twilio posts (others are accepted and ignored). */
const TWILIO_FORM = {
  type: 'object',
  required: ['CallSid'],
  properties: {
    CallSid: { type: 'string', example: 'CA0123456789abcdef0123456789abcdef' },
    From: { type: 'string', example: '+15550100' },
    To: { type: 'string', example: '+15550199' },
    Digits: { type: 'string', example: '1', description: 'the key pressed; absent when the caller said nothing' },
    CallStatus: { type: 'string', example: 'in-progress' },
  },
};

@ApiTags('ivr')
@Controller('v1/ivr')
export class TwilioController {
  constructor(private readonly twilio: TwilioVoiceService) {}

  @Public()
  @Post('voice/:token')
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({
    summary: "Twilio's voice webhook: the call's next step as TwiML",
    description:
      "A CallSid not seen before starts a session on the line's menu; `Digits` is menu input; no `Digits` on a " +
      "live session is a timeout. X-Twilio-Signature must verify under the line's auth token.",
  })
  @ApiProduces('text/xml')
  @ApiBody({ schema: TWILIO_FORM })
  @ApiOkResponse({
    description: 'TwiML: a Gather with the prompt while awaiting input, a Dial for agent/transfer, a Hangup at the end',
    schema: { type: 'string', example: '<Response><Hangup/></Response>' },
  })
  @ApiErrors({
    400: 'a malformed form or field',
    403: 'the signature does not verify (nothing is written)',
    404: 'unknown token',
  })
  async voice(
    @Param('token') token: string,
    @Query('run') run: unknown,
    @Query('menu') menu: unknown,
    @Headers('x-twilio-signature') signature: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const twiml = await this.twilio.voice({
      token,
      originalUrl: req.originalUrl,
      signature,
      params: formParams(req),
      run: typeof run === 'string' ? run : undefined,
      menu: typeof menu === 'string' ? menu : undefined,
    });
    res.type('text/xml');
    return twiml;
  }

  @Public()
  @Post('status/:token')
  @HttpCode(204)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({
    summary: "Twilio's status callback: a call that is over ends its session (hangup)",
    description:
      'Signed like the voice webhook. `CallStatus` completed, busy, failed, no-answer or canceled ends a live ' +
      'session with outcome hangup; other statuses change nothing.',
  })
  @ApiBody({ schema: TWILIO_FORM })
  @ApiNoContentResponse({ description: 'taken' })
  @ApiErrors({
    400: 'a malformed form or field',
    403: 'the signature does not verify (nothing is written)',
    404: 'unknown token',
  })
  async status(
    @Param('token') token: string,
    @Headers('x-twilio-signature') signature: string | undefined,
    @Req() req: Request,
  ): Promise<void> {
    await this.twilio.status({
      token,
      originalUrl: req.originalUrl,
      signature,
      params: formParams(req),
      run: undefined,
    });
  }
}

/** The form `formBody` read; any other body (JSON, none with another type) is refused. */
function formParams(req: Request): Record<string, string> {
  const form = formOf(req);
  if (!form) throw new UnsupportedMediaTypeException('send the body as application/x-www-form-urlencoded');
  return form;
}
