import type { Type } from '@nestjs/common';
import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiProperty, ApiResponse, ApiSecurity, getSchemaPath } from '@nestjs/swagger';

/** Every error answer (http-exception.filter.ts): `{statusCode, error, message}`. */
export class ErrorBodyDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: 'name must be a string',
    description: 'what is wrong, naming the field (one message, or a list of them)',
  })
  message: string | string[];
}

/** The error statuses an operation may document, with what they mean across the API. */
const ERROR_MEANING = {
  400: 'invalid input: the message names the field; nothing was written',
  401: 'no API key, or an unknown, revoked, disabled or expired one',
  403: "the API key lacks the route's scope",
  404: "not found, or another tenant's (the same answer)",
  409: 'the resource is not in a state that allows this (the message says why)',
  429: "the key's rateLimitPerHour or usageQuota is spent; retry after the `Retry-After` seconds",
} as const;
export type ErrorStatus = keyof typeof ERROR_MEANING;

/**
 * Documents error answers with the error body: `@ApiErrors(400, 404)`, or `@ApiErrors({ 409: 'why' })` to
 * say what the status means on this route.
 */
export function ApiErrors(...errors: (ErrorStatus | Partial<Record<ErrorStatus, string>>)[]) {
  const entries = errors.flatMap((e) =>
    typeof e === 'number'
      ? [[e, ERROR_MEANING[e]] as const]
      : Object.entries(e).map(([status, text]) => [Number(status) as ErrorStatus, text] as const),
  );
  return applyDecorators(
    ...entries.map(([status, description]) =>
      ApiResponse({
        status,
        description,
        type: ErrorBodyDto,
        ...(status === 429
          ? { headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } } }
          : {}),
      }),
    ),
  );
}

/** On a controller whose routes take an API key and a scope: the two security schemes, 401, 403 and 429. */
export function ApiKeyAuth() {
  return applyDecorators(ApiBearerAuth(), ApiSecurity('api-key'), ApiErrors(401, 403, 429));
}

/** A page of a list (`{items, nextCursor}`, see pagination.ts) of `item`. */
export function ApiPageResponse(item: Type<unknown>, description = 'one page, newest first') {
  return applyDecorators(
    ApiExtraModels(item),
    ApiResponse({
      status: 200,
      description,
      schema: {
        type: 'object',
        required: ['items', 'nextCursor'],
        properties: {
          items: { type: 'array', items: { $ref: getSchemaPath(item) } },
          nextCursor: {
            type: 'string',
            nullable: true,
            description: 'pass as `?cursor=` for the next page; null on the last page',
          },
        },
      },
    }),
  );
}

/** `{"executionId","workflowId"}`: a run was started. */
export class StartedRunDto {
  @ApiProperty({ format: 'uuid' })
  executionId: string;

  @ApiProperty({ example: 'rule-6f1c…-evt-42', description: 'the Temporal workflow id' })
  workflowId: string;
}

/** `{"count"}`: how many a bulk operation touched. */
export class CountDto {
  @ApiProperty({ example: 3 })
  count: number;
}

/** `{"deliveryId"}`: a webhook delivery was queued. */
export class DeliveryIdDto {
  @ApiProperty({ format: 'uuid' })
  deliveryId: string;
}
