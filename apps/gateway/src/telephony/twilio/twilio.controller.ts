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
  ApiBadRequestResponse,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../auth/scopes';
import { formOf } from '../../common/json-guard';
import { TwilioVoiceService } from './twilio-voice.service';

/**
 * Twilio's webhooks for a phone line (`voiceUrl`, `statusCallbackUrl`): no API key, the token in the path
 * names the line and X-Twilio-Signature authenticates. Form bodies are read by `formBody` (app.factory).
 */
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
  @ApiOkResponse({ description: 'TwiML (text/xml)' })
  @ApiBadRequestResponse({ description: 'a malformed form or field' })
  @ApiForbiddenResponse({ description: 'the signature does not verify (nothing is written)' })
  @ApiNotFoundResponse({ description: 'unknown token' })
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
  @ApiOperation({ summary: "Twilio's status callback: a call that is over ends its session (hangup)" })
  @ApiNoContentResponse({ description: 'taken' })
  @ApiBadRequestResponse({ description: 'a malformed form or field' })
  @ApiForbiddenResponse({ description: 'the signature does not verify (nothing is written)' })
  @ApiNotFoundResponse({ description: 'unknown token' })
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
