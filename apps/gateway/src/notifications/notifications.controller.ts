import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { InboxQueryDto, ListNotificationsQueryDto, NotificationReceiptDto } from './dto/notification.dto';
import { NotificationsService } from './notifications.service';

@ApiTags('notifications')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get('notifications')
  @RequireScope('notifications:read')
  @ApiOperation({ summary: 'List notification deliveries (one per recipient), newest first' })
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
  @ApiNotFoundResponse({ description: 'unknown notification, or one of another tenant' })
  receipt(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: NotificationReceiptDto) {
    return this.notifications.receipt(auth, id, dto);
  }

  @Get('inbox/:recipientId')
  @RequireScope('notifications:read')
  @ApiOperation({ summary: "A recipient's in-app notifications, newest first" })
  inbox(@Auth() auth: AuthContext, @Param('recipientId') recipientId: string, @Query() query: InboxQueryDto) {
    return this.notifications.inbox(auth, recipientId, query);
  }

  @Post('inbox/:recipientId/:id/read')
  @HttpCode(200)
  @RequireScope('notifications:write')
  @ApiOperation({ summary: 'Mark an in-app notification read' })
  @ApiNotFoundResponse({ description: "not in this recipient's inbox, or of another tenant" })
  markRead(@Auth() auth: AuthContext, @Param('recipientId') recipientId: string, @Param('id') id: string) {
    return this.notifications.markRead(auth, recipientId, id);
  }
}
