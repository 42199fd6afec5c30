import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { DeliveryDto } from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

const NOT_FOUND = 'unknown delivery, or one of another tenant';

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get(':id')
  @RequireScope('webhooks:read')
  @ApiOperation({ summary: 'One delivery with all its attempts' })
  @ApiOkResponse({ type: DeliveryDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.webhooks.getDelivery(auth, id);
  }

  @Post(':id/redeliver')
  @HttpCode(202)
  @RequireScope('webhooks:write')
  @ApiOperation({
    summary: 'Send the same message again, as a new delivery (`redeliveryOf` names this one)',
  })
  @ApiAcceptedResponse({ description: '{"deliveryId"}' })
  @ApiConflictResponse({
    description: "a rule action's attempt (rerun its execution instead), or the endpoint is disabled or deleted",
  })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  redeliver(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.webhooks.redeliver(auth, id);
  }
}
