import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth, ApiPageResponse, DeliveryIdDto } from '../common/api-docs';
import { PageQueryDto } from '../common/pagination';
import {
  CreatedWebhookDto,
  CreateWebhookDto,
  DeliveryPageDto,
  ListDeliveriesQueryDto,
  RecoverResultDto,
  RecoverWebhookDto,
  TestWebhookDto,
  UpdateWebhookDto,
  WebhookStatsDto,
  WebhookDto,
  WebhookSecretDto,
  WebhookStatsQueryDto,
} from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

const NOT_FOUND = 'unknown webhook, or one of another tenant';

@ApiTags('webhooks')
@ApiKeyAuth()
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @RequireScope('webhooks:write')
  @ApiOperation({
    summary: 'Register a webhook endpoint',
    description:
      'The answer carries `secret` (`whsec_…`), shown here and on rotate-secret only. Deliveries are signed per Standard Webhooks.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto, description: 'the endpoint, with its secret' })
  @ApiErrors({
    400: 'a url that is not http(s) or reaches a forbidden address, a bad event pattern, invalid JSONata, …',
  })
  create(@Auth() auth: AuthContext, @Body() dto: CreateWebhookDto) {
    return this.webhooks.create(auth, dto);
  }

  @Get()
  @RequireScope('webhooks:read')
  @ApiOperation({
    summary: 'List webhook endpoints, newest first (never their secrets)',
    description: 'Header values are masked. Paged with `?limit=` and `?cursor=`.',
  })
  @ApiPageResponse(WebhookDto)
  @ApiErrors(400)
  list(@Auth() auth: AuthContext, @Query() query: PageQueryDto) {
    return this.webhooks.list(auth, query);
  }

  @Get(':id')
  @RequireScope('webhooks:read')
  @ApiOperation({
    summary: 'One webhook endpoint, with why it is disabled when the system disabled it',
    description:
      '`disabledReason` says why (a 410 answer, the circuit breaker); `failingSince` since when attempts fail.',
  })
  @ApiOkResponse({ type: WebhookDto })
  @ApiErrors({ 404: NOT_FOUND })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.webhooks.get(auth, id);
  }

  @Patch(':id')
  @RequireScope('webhooks:write')
  @ApiOperation({
    summary: 'Change a webhook endpoint',
    description: '`{"enabled": true}` re-enables an endpoint disabled by a 410 or the circuit breaker.',
  })
  @ApiOkResponse({ type: WebhookDto, description: 'the endpoint' })
  @ApiErrors(400, { 404: NOT_FOUND })
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: UpdateWebhookDto) {
    return this.webhooks.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('webhooks:write')
  @ApiOperation({
    summary: 'Delete a webhook endpoint (its delivery log stays readable)',
    description: 'Pending deliveries to it end `failed`; rule actions naming it by `webhookId` fail from then on.',
  })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors({ 404: NOT_FOUND })
  async remove(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.webhooks.remove(auth, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @RequireScope('webhooks:write')
  @ApiOperation({
    summary: 'Rotate the signing secret; the previous one keeps signing for 24 h',
    description: 'During the overlap every delivery carries both signatures, space-separated, in `webhook-signature`.',
  })
  @ApiOkResponse({ type: WebhookSecretDto })
  @ApiErrors({ 404: NOT_FOUND })
  rotateSecret(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.webhooks.rotateSecret(auth, id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @RequireScope('webhooks:write')
  @ApiOperation({
    summary: 'Send a `webhook.test` message to the endpoint (whatever it subscribes to)',
    description: 'Signed and retried like any delivery; follow it with GET /v1/deliveries/{deliveryId}.',
  })
  @ApiAcceptedResponse({ type: DeliveryIdDto })
  @ApiErrors(400, { 404: NOT_FOUND, 409: 'the endpoint is disabled' })
  test(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: TestWebhookDto) {
    return this.webhooks.test(auth, id, dto);
  }

  @Get(':id/deliveries')
  @RequireScope('webhooks:read')
  @ApiOperation({
    summary: "The endpoint's deliveries, newest first (with rule-action attempts that named it)",
    description: 'Filter by `status`; paged with `?limit=` and `?cursor=`.',
  })
  @ApiOkResponse({ type: DeliveryPageDto })
  @ApiErrors(400, { 404: NOT_FOUND })
  deliveries(@Auth() auth: AuthContext, @Param('id') id: string, @Query() query: ListDeliveriesQueryDto) {
    return this.webhooks.listDeliveries(auth, id, query);
  }

  @Post(':id/recover')
  @HttpCode(202)
  @RequireScope('webhooks:write')
  @ApiOperation({
    summary: 'Send again every `failed` delivery of the endpoint created in a time window',
    description:
      'Each becomes a new delivery (`redeliveryOf` names it), oldest first, at most 1000 per call; a failed ' +
      'delivery already redelivered is skipped, so calling again with the same window continues with the rest.',
  })
  @ApiAcceptedResponse({ type: RecoverResultDto })
  @ApiErrors({
    400: '`since` or `until` not an ISO date-time, or `until` before `since`',
    404: NOT_FOUND,
    409: 'the endpoint is disabled',
  })
  recover(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: RecoverWebhookDto) {
    return this.webhooks.recover(auth, id, dto);
  }

  @Get(':id/stats')
  @RequireScope('webhooks:read')
  @ApiOperation({
    summary: "Counts of the endpoint's deliveries by status since a time (default: the last 24 h), and attempt latency",
    description:
      'Latency percentiles are over the `durationMs` of every attempt of those deliveries: from sending the ' +
      "request to the receiver's answer (or the error), not from the delivery's creation.",
  })
  @ApiOkResponse({ type: WebhookStatsDto })
  @ApiErrors({ 400: '`since` not an ISO date-time', 404: NOT_FOUND })
  stats(@Auth() auth: AuthContext, @Param('id') id: string, @Query() query: WebhookStatsQueryDto) {
    return this.webhooks.stats(auth, id, query);
  }
}
