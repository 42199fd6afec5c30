import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth, ApiPageResponse } from '../common/api-docs';
import {
  InboxQueryDto,
  ListNotificationsQueryDto,
  NotificationDto,
  NotificationReceiptDto,
} from './dto/notification.dto';
import { NotificationsService } from './notifications.service';

@ApiTags('notifications')
@ApiKeyAuth()
@Controller('v1')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get('notifications')
  @RequireScope('notifications:read')
  @ApiOperation({
    summary: 'List notification deliveries (one per recipient), newest first',
    description: 'Filter by `status`, `channel` and `recipientId`; paged with `?limit=` and `?cursor=`.',
  })
  @ApiPageResponse(NotificationDto)
  @ApiErrors(400)
  list(@Auth() auth: AuthContext, @Query() query: ListNotificationsQueryDto) {
    return this.notifications.list(auth, query);
  }

  @Post('notifications/:id/receipts')
  @HttpCode(200)
  @RequireScope('notifications:write')
  @ApiOperation({
    summary: 'Record a provider receipt (delivered, bounced, failed)',
    description:
      'A receipt never moves a delivery backwards. Order: pending < retrying < sent < delivered | bounced | failed, ' +
      'the last three final: a receipt for a delivery already delivered, bounced or failed is answered 200 and changes nothing.',
  })
  @ApiOkResponse({ type: NotificationDto })
  @ApiErrors(400, { 404: 'unknown notification, or one of another tenant' })
  receipt(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: NotificationReceiptDto) {
    return this.notifications.receipt(auth, id, dto);
  }

  @Get('inbox/:recipientId')
  @RequireScope('notifications:read')
  @ApiOperation({
    summary: "A recipient's in-app notifications, newest first",
    description: '`?unread=true` leaves out those already read.',
  })
  @ApiPageResponse(NotificationDto)
  @ApiErrors(400, 404)
  inbox(@Auth() auth: AuthContext, @Param('recipientId') recipientId: string, @Query() query: InboxQueryDto) {
    return this.notifications.inbox(auth, recipientId, query);
  }

  @Post('inbox/:recipientId/:id/read')
  @HttpCode(200)
  @RequireScope('notifications:write')
  @ApiOperation({
    summary: 'Mark an in-app notification read',
    description: 'Idempotent: readAt keeps the first time.',
  })
  @ApiOkResponse({ type: NotificationDto })
  @ApiErrors({ 404: "not in this recipient's inbox, or of another tenant" })
  markRead(@Auth() auth: AuthContext, @Param('recipientId') recipientId: string, @Param('id') id: string) {
    return this.notifications.markRead(auth, recipientId, id);
  }
}
