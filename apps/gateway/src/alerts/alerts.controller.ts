import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
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
import { AlertsService } from './alerts.service';
import { AcknowledgeAlertDto, ListAlertsQueryDto } from './dto/alert.dto';

@ApiTags('alerts')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @RequireScope('alerts:read')
  @ApiOperation({
    summary: 'List alerts, newest first',
    description: 'An active alert past its `expiresAt` reads `resolved`, in the answer and in the `status` filter.',
  })
  list(@Auth() auth: AuthContext, @Query() query: ListAlertsQueryDto) {
    return this.alerts.list(auth, query);
  }

  @Get(':id')
  @RequireScope('alerts:read')
  @ApiOperation({ summary: 'One alert with its recipients and acknowledgments' })
  @ApiNotFoundResponse({ description: 'unknown alert, or one of another tenant' })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.alerts.get(auth, id);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @RequireScope('alerts:write')
  @ApiOperation({ summary: 'Acknowledge an alert (again: another acknowledgment is recorded)' })
  @ApiOkResponse({ description: 'the alert' })
  @ApiConflictResponse({ description: 'the alert is dismissed or resolved (expired included)' })
  @ApiNotFoundResponse({ description: 'unknown alert, or one of another tenant' })
  acknowledge(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: AcknowledgeAlertDto) {
    return this.alerts.acknowledge(auth, id, dto);
  }

  @Post(':id/dismiss')
  @HttpCode(200)
  @RequireScope('alerts:write')
  @ApiOperation({ summary: 'Dismiss an alert' })
  @ApiOkResponse({ description: 'the alert' })
  @ApiConflictResponse({ description: 'the alert is dismissed or resolved (expired included)' })
  @ApiNotFoundResponse({ description: 'unknown alert, or one of another tenant' })
  dismiss(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.alerts.dismiss(auth, id);
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @RequireScope('alerts:write')
  @ApiOperation({ summary: 'Resolve an alert' })
  @ApiOkResponse({ description: 'the alert' })
  @ApiConflictResponse({ description: 'the alert is dismissed or resolved (expired included)' })
  @ApiNotFoundResponse({ description: 'unknown alert, or one of another tenant' })
  resolve(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.alerts.resolve(auth, id);
  }
}
