import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { PageQueryDto } from '../common/pagination';
import { CreateApiKeyDto, CreateTenantDto } from './dto/tenancy.dto';
import { TenancyService } from './tenancy.service';

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

  @Post('api-keys')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Create an API key; the plaintext key is returned only here' })
  createKey(@Auth() auth: AuthContext, @Body() dto: CreateApiKeyDto) {
    return this.tenancy.createKey(auth, dto);
  }

  @Get('api-keys')
  @RequireScope('admin')
  listKeys(@Auth() auth: AuthContext, @Query() query: PageQueryDto) {
    return this.tenancy.listKeys(auth, query);
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  @RequireScope('admin')
  @ApiOperation({ summary: 'Revoke a key at once' })
  async revokeKey(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.tenancy.revokeKey(auth, id);
  }
}
