import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ListExecutionsQueryDto } from './dto/execution.dto';
import { ExecutionsService } from './executions.service';

@ApiTags('executions')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/executions')
export class ExecutionsController {
  constructor(private readonly executions: ExecutionsService) {}

  @Get()
  @RequireScope('executions:read')
  @ApiOperation({ summary: 'List executions, newest first' })
  list(@Auth() auth: AuthContext, @Query() query: ListExecutionsQueryDto) {
    return this.executions.list(auth, query);
  }

  @Get(':id')
  @RequireScope('executions:read')
  @ApiOperation({ summary: 'One execution with per-action status, attempts, output and the Temporal UI link' })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.executions.get(auth, id);
  }
}
