import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth, ApiPageResponse } from '../common/api-docs';
import { AlertsService } from './alerts.service';
import { AcknowledgeAlertDto, AlertDto, ListAlertsQueryDto } from './dto/alert.dto';

const NOT_FOUND = 'unknown alert, or one of another tenant';
const TRANSITION =
  'Answers the alert in its new state. A transition out of `dismissed` or `resolved` is refused (409).';

@ApiTags('alerts')
@ApiKeyAuth()
@Controller('v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @RequireScope('alerts:read')
  @ApiOperation({
    summary: 'List alerts, newest first',
    description: 'An active alert past its `expiresAt` reads `resolved`, in the answer and in the `status` filter.',
  })
  @ApiPageResponse(AlertDto)
  @ApiErrors(400)
  list(@Auth() auth: AuthContext, @Query() query: ListAlertsQueryDto) {
    return this.alerts.list(auth, query);
  }

  @Get(':id')
  @RequireScope('alerts:read')
  @ApiOperation({
    summary: 'One alert with its recipients and acknowledgments',
    description: 'An active alert past its `expiresAt` reads `resolved`.',
  })
  @ApiOkResponse({ type: AlertDto })
  @ApiErrors({ 404: NOT_FOUND })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.alerts.get(auth, id);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @RequireScope('alerts:write')
  @ApiOperation({
    summary: 'Acknowledge an alert (again: another acknowledgment is recorded)',
    description: TRANSITION,
  })
  @ApiOkResponse({ type: AlertDto, description: 'the alert' })
  @ApiErrors(400, { 404: NOT_FOUND, 409: 'the alert is dismissed or resolved (expired included)' })
  acknowledge(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: AcknowledgeAlertDto) {
    return this.alerts.acknowledge(auth, id, dto);
  }

  @Post(':id/dismiss')
  @HttpCode(200)
  @RequireScope('alerts:write')
  @ApiOperation({ summary: 'Dismiss an alert', description: TRANSITION })
  @ApiOkResponse({ type: AlertDto, description: 'the alert' })
  @ApiErrors({ 404: NOT_FOUND, 409: 'the alert is dismissed or resolved (expired included)' })
  dismiss(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.alerts.dismiss(auth, id);
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @RequireScope('alerts:write')
  @ApiOperation({ summary: 'Resolve an alert', description: TRANSITION })
  @ApiOkResponse({ type: AlertDto, description: 'the alert' })
  @ApiErrors({ 404: NOT_FOUND, 409: 'the alert is dismissed or resolved (expired included)' })
  resolve(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.alerts.resolve(auth, id);
  }
}
