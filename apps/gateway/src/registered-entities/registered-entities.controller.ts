import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth, ApiPageResponse } from '../common/api-docs';
import { PageQueryDto } from '../common/pagination';
import { RegisteredEntityDto, RegisterEntityDto } from './dto/registered-entity.dto';
import { RegisteredEntitiesService } from './registered-entities.service';

@ApiTags('entities')
@ApiKeyAuth()
@Controller('v1/entities')
export class RegisteredEntitiesController {
  constructor(private readonly entities: RegisteredEntitiesService) {}

  @Post()
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Register a table or view; with capture, its INSERT/UPDATE/DELETE emit events with no call to /v1/events',
    description:
      "Needs rules:write; with `capture: true` it needs admin. Ruleflow's own tables and the system schemas " +
      '(pg_*, information_schema) can never be registered. A table has at most one capture across all tenants. ' +
      'Changes written by Ruleflow itself (a rule run reaching the table through an application trigger) are not captured.',
  })
  @ApiCreatedResponse({ type: RegisteredEntityDto })
  @ApiErrors({
    400: "no such table or view (names are exact and case-sensitive), one of Ruleflow's own tables, or a system schema",
    403: 'the key lacks rules:write, or admin for `capture: true`',
    409: 'already registered by this tenant, or already captured by another tenant',
  })
  register(@Auth() auth: AuthContext, @Body() dto: RegisterEntityDto) {
    return this.entities.register(auth, dto);
  }

  @Get()
  @RequireScope('rules:read')
  @ApiOperation({ summary: 'List registered tables and views', description: 'Paged with `?limit=` and `?cursor=`.' })
  @ApiPageResponse(RegisteredEntityDto)
  @ApiErrors(400)
  list(@Auth() auth: AuthContext, @Query() query: PageQueryDto) {
    return this.entities.list(auth, query);
  }

  @Get(':id')
  @RequireScope('rules:read')
  @ApiOperation({ summary: 'One registered table or view', description: 'With whether its changes are captured.' })
  @ApiOkResponse({ type: RegisteredEntityDto })
  @ApiErrors(404)
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.entities.get(auth, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Unregister a table or view',
    description: 'A captured table loses its capture trigger in the same transaction: its changes emit no more events.',
  })
  @ApiNoContentResponse({ description: 'unregistered' })
  @ApiErrors(404)
  async remove(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.entities.remove(auth, id);
  }
}
