import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { PageQueryDto } from '../common/pagination';
import {
  ApiKeyDto,
  ApiKeyPageDto,
  ApiKeyUsageDto,
  ApiKeyUsageQueryDto,
  CreateApiKeyDto,
  CreateTenantDto,
  ListApiKeysQueryDto,
  TenantPageDto,
  UpdateApiKeyDto,
} from './dto/tenancy.dto';
import { LAST_OPERATOR_KEY, TenancyService } from './tenancy.service';

const KEY_NOT_FOUND = "no such key, or (to anyone but the operator) another tenant's";

@ApiTags('tenancy')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1')
export class TenancyController {
  constructor(private readonly tenancy: TenancyService) {}

  @Post('tenants')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Create a tenant (admin key of the default tenant only)' })
  createTenant(@Auth() auth: AuthContext, @Body() dto: CreateTenantDto) {
    return this.tenancy.createTenant(auth, dto);
  }

  @Get('tenants')
  @RequireScope('admin')
  @ApiOperation({ summary: 'List every tenant, oldest first (admin key of the default tenant only)' })
  @ApiOkResponse({ type: TenantPageDto })
  @ApiForbiddenResponse({ description: 'not the operator' })
  listTenants(@Auth() auth: AuthContext, @Query() query: PageQueryDto) {
    return this.tenancy.listTenants(auth, query);
  }

  @Post('api-keys')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Create an API key; the plaintext key is returned only here' })
  createKey(@Auth() auth: AuthContext, @Body() dto: CreateApiKeyDto) {
    return this.tenancy.createKey(auth, dto);
  }

  @Get('api-keys')
  @RequireScope('admin')
  @ApiOperation({
    summary: "List API keys (never the key itself): the caller's tenant's, or the operator's pick with ?tenantId=",
  })
  @ApiOkResponse({ type: ApiKeyPageDto })
  @ApiForbiddenResponse({ description: "another tenant's keys, asked by anyone but the operator" })
  listKeys(@Auth() auth: AuthContext, @Query() query: ListApiKeysQueryDto) {
    return this.tenancy.listKeys(auth, query);
  }

  @Patch('api-keys/:id')
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Rename a key, change its limits (null removes one), disable or enable it',
    description: "The operator edits any tenant's keys. A disabled key gets 401 from the next request on.",
  })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiNotFoundResponse({ description: KEY_NOT_FOUND })
  @ApiConflictResponse({ description: `the key is revoked, or ${LAST_OPERATOR_KEY}` })
  updateKey(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: UpdateApiKeyDto) {
    return this.tenancy.updateKey(auth, id, dto);
  }

  @Get('api-keys/:id/usage')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Requests made with a key per hour (UTC), oldest first; hours without any are left out' })
  @ApiOkResponse({ type: ApiKeyUsageDto })
  @ApiNotFoundResponse({ description: KEY_NOT_FOUND })
  keyUsage(@Auth() auth: AuthContext, @Param('id') id: string, @Query() query: ApiKeyUsageQueryDto) {
    return this.tenancy.keyUsage(auth, id, query);
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Revoke a key at once and for good (the operator: a key of any tenant)' })
  @ApiNoContentResponse({ description: 'revoked (also when it already was)' })
  @ApiNotFoundResponse({ description: KEY_NOT_FOUND })
  @ApiConflictResponse({ description: LAST_OPERATOR_KEY })
  async revokeKey(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.tenancy.revokeKey(auth, id);
  }
}
