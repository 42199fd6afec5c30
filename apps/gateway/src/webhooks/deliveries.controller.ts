import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth, DeliveryIdDto } from '../common/api-docs';
import { DeliveryDto } from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

const NOT_FOUND = 'unknown delivery, or one of another tenant';

@ApiTags('webhooks')
@ApiKeyAuth()
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get(':id')
  @RequireScope('webhooks:read')
  @ApiOperation({
    summary: 'One delivery with all its attempts',
    description: "Each attempt with the receiver's status code, error, duration and response body (cut to 4 KiB).",
  })
  @ApiOkResponse({ type: DeliveryDto })
  @ApiErrors({ 404: NOT_FOUND })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.webhooks.getDelivery(auth, id);
  }

  @Post(':id/redeliver')
  @HttpCode(202)
  @RequireScope('webhooks:write')
  @ApiOperation({
    summary: 'Send the same message again, as a new delivery (`redeliveryOf` names this one)',
    description: 'The new delivery has its own id (its own `webhook-id`) and is retried like any other.',
  })
  @ApiAcceptedResponse({ type: DeliveryIdDto })
  @ApiErrors({
    404: NOT_FOUND,
    409: "a rule action's attempt (rerun its execution instead), or the endpoint is disabled or deleted",
  })
  redeliver(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.webhooks.redeliver(auth, id);
  }
}
