import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { CleanupExecutionsDto, CleanupResultDto } from './dto/cleanup.dto';
import { MaintenanceService } from './maintenance.service';

@ApiTags('maintenance')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/maintenance')
export class MaintenanceController {
  constructor(private readonly maintenance: MaintenanceService) {}

  @Post('cleanup')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({
    summary:
      "Delete this tenant's ended executions (and their delivery logs) and ended endpoint deliveries older than a duration",
  })
  @ApiOkResponse({ type: CleanupResultDto })
  cleanup(@Auth() auth: AuthContext, @Body() dto: CleanupExecutionsDto): Promise<CleanupResultDto> {
    return this.maintenance.cleanup(auth, dto);
  }
}
