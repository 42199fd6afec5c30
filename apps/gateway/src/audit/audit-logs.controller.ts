import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth } from '../common/api-docs';
import { AuditService } from './audit.service';
import { AuditLogPageDto, ListAuditLogsQueryDto } from './dto/audit-log.dto';

@ApiTags('audit')
@ApiKeyAuth()
@Controller('v1/audit-logs')
export class AuditLogsController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequireScope('audit:read')
  @ApiOperation({
    summary: "The tenant's changes made through the API, newest first",
    description:
      'One row per successful create, update, delete or action (activate, cancel, …) made with an API key. ' +
      'Details summarise the request (route pattern, field names, name); they never hold body values.',
  })
  @ApiOkResponse({ type: AuditLogPageDto })
  @ApiErrors(400)
  list(@Auth() auth: AuthContext, @Query() query: ListAuditLogsQueryDto) {
    return this.audit.list(auth, query);
  }
}
