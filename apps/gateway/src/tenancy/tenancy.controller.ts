import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth } from '../common/api-docs';
import { PageQueryDto } from '../common/pagination';
import {
  ApiKeyDto,
  ApiKeyPageDto,
  ApiKeyUsageDto,
  ApiKeyUsageQueryDto,
  CreateApiKeyDto,
  CreatedApiKeyDto,
  CreateTenantDto,
  ListApiKeysQueryDto,
  TenantDto,
  TenantPageDto,
  UpdateApiKeyDto,
} from './dto/tenancy.dto';
import { LAST_OPERATOR_KEY, TenancyService } from './tenancy.service';

const KEY_NOT_FOUND = "no such key, or (to anyone but the operator) another tenant's";

@ApiTags('tenancy')
@ApiKeyAuth()
@Controller('v1')
export class TenancyController {
  constructor(private readonly tenancy: TenancyService) {}

  @Post('tenants')
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Create a tenant (admin key of the default tenant only)',
    description:
      'A tenant owns rules, events, executions and every other resource; give it keys with POST /v1/api-keys.',
  })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiErrors(400, { 403: 'not an admin key of the default tenant', 409: 'a tenant of that name exists' })
  createTenant(@Auth() auth: AuthContext, @Body() dto: CreateTenantDto) {
    return this.tenancy.createTenant(auth, dto);
  }

  @Get('tenants')
  @RequireScope('admin')
  @ApiOperation({
    summary: 'List every tenant, oldest first (admin key of the default tenant only)',
    description: 'Paged with `?limit=` and `?cursor=` like every list.',
  })
  @ApiOkResponse({ type: TenantPageDto })
  @ApiErrors(400, { 403: 'not the operator' })
  listTenants(@Auth() auth: AuthContext, @Query() query: PageQueryDto) {
    return this.tenancy.listTenants(auth, query);
  }

  @Post('api-keys')
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Create an API key; the plaintext key is returned only here',
    description:
      "`tenantId` defaults to the caller's tenant; only the operator (an admin key of `default`) names another. " +
      'Only the prefix and a SHA-256 hash of the key are stored.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiErrors(400, { 403: "another tenant's key, asked by anyone but the operator" })
  createKey(@Auth() auth: AuthContext, @Body() dto: CreateApiKeyDto) {
    return this.tenancy.createKey(auth, dto);
  }

  @Get('api-keys')
  @RequireScope('admin')
  @ApiOperation({
    summary: "List API keys (never the key itself): the caller's tenant's, or the operator's pick with ?tenantId=",
    description: 'Each key with its `usageCount`, `lastUsedAt` and `enabled`.',
  })
  @ApiOkResponse({ type: ApiKeyPageDto })
  @ApiErrors(400, { 403: "another tenant's keys, asked by anyone but the operator" })
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
  @ApiErrors(400, { 404: KEY_NOT_FOUND, 409: `the key is revoked, or ${LAST_OPERATOR_KEY}` })
  updateKey(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: UpdateApiKeyDto) {
    return this.tenancy.updateKey(auth, id, dto);
  }

  @Get('api-keys/:id/usage')
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Requests made with a key per hour (UTC), oldest first; hours without any are left out',
    description: '`?since=` (ISO date-time) bounds the hours; requests refused with 429 are counted too.',
  })
  @ApiOkResponse({ type: ApiKeyUsageDto })
  @ApiErrors(400, { 404: KEY_NOT_FOUND })
  keyUsage(@Auth() auth: AuthContext, @Param('id') id: string, @Query() query: ApiKeyUsageQueryDto) {
    return this.tenancy.keyUsage(auth, id, query);
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Revoke a key at once and for good (the operator: a key of any tenant)',
    description: 'The next request with the key gets 401.',
  })
  @ApiNoContentResponse({ description: 'revoked (also when it already was)' })
  @ApiErrors({ 404: KEY_NOT_FOUND, 409: LAST_OPERATOR_KEY })
  async revokeKey(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.tenancy.revokeKey(auth, id);
  }
}
