import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth } from '../common/api-docs';
import { CleanupExecutionsDto, CleanupResultDto } from './dto/cleanup.dto';
import { MaintenanceService } from './maintenance.service';

@ApiTags('maintenance')
@ApiKeyAuth()
@Controller('v1/maintenance')
export class MaintenanceController {
  constructor(private readonly maintenance: MaintenanceService) {}

  @Post('cleanup')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({
    summary:
      "Delete this tenant's ended executions (and their delivery logs) and ended endpoint deliveries older than a duration",
    description:
      'Needs the admin scope. `olderThan` is a duration (`"30d"`); `status` narrows the executions. The answer gives ' +
      'per-table counts. A daily Temporal Schedule runs the same retention for every tenant.',
  })
  @ApiOkResponse({ type: CleanupResultDto })
  @ApiErrors(400)
  cleanup(@Auth() auth: AuthContext, @Body() dto: CleanupExecutionsDto): Promise<CleanupResultDto> {
    return this.maintenance.cleanup(auth, dto);
  }
}
