import { Controller, Headers, HttpCode, Param, Post, Req, UnsupportedMediaTypeException } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../auth/scopes';
import { ApiErrors } from '../common/api-docs';
import type { HookResponse } from './inbound-hooks.service';
import { InboundHooksService } from './inbound-hooks.service';

/**
 * Inbound hooks: no API key, the secret token in the path authenticates the call. The class keeps its
 * name: the OpenAPI operation ids (`HooksController_…`) are derived from it and are part of the contract.
 */
@ApiTags('hooks')
@Controller('v1/hooks')
export class HooksController {
  constructor(private readonly hooks: InboundHooksService) {}

  @Public()
  @Post(':token')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Fire a webhook-triggered rule with the request body as the event data',
    description:
      'No API key: the token authenticates. It is the end of the `trigger.hookUrl` of a rule with `trigger.type` ' +
      '"webhook", shown in full only when the rule is created and by `POST /v1/rules/{id}/rotate-hook` ' +
      '(only its hash is stored). ' +
      'The rule must be active. Its conditions are evaluated against the body first. ' +
      'With an `Idempotency-Key`, a repeated call returns the first answer and starts nothing new.',
  })
  @ApiParam({ name: 'token', description: 'the secret token of the rule (from the full `trigger.hookUrl`)' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '1..200 letters, digits or . _ : @ -; becomes the event id',
  })
  @ApiBody({
    required: false,
    description: 'any JSON object (an empty body is {})',
    schema: { type: 'object', additionalProperties: true },
  })
  @ApiAcceptedResponse({
    description:
      '{"executionId","workflowId","matched":true} when the rule fired; ' +
      '{"executionId":null,"workflowId":null,"matched":false} when its conditions did not hold (nothing runs)',
    schema: {
      type: 'object',
      properties: {
        executionId: { type: 'string', format: 'uuid', nullable: true },
        workflowId: { type: 'string', nullable: true },
        matched: { type: 'boolean' },
      },
    },
  })
  @ApiErrors({
    400: 'the body is not a JSON object, or the Idempotency-Key is malformed',
    404: 'unknown token or inactive rule (the same answer for both)',
  })
  fire(
    @Param('token') token: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: Request,
  ): Promise<HookResponse> {
    return this.hooks.fire(token, bodyOf(req), idempotencyKey);
  }
}

/** The parsed JSON body; no body at all is `{}`, a body that is not JSON is refused. */
function bodyOf(req: Request): unknown {
  const body: unknown = req.body;
  if (body !== undefined) return body;
  // The JSON parser leaves other content types unread: refuse them rather than fire with `{}`.
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > 0 || req.headers['transfer-encoding'] !== undefined) {
    throw new UnsupportedMediaTypeException('send the body as JSON (Content-Type: application/json)');
  }
  return {};
}
