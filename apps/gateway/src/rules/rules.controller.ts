import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { CreateRuleDto, ListRulesQueryDto, UpdateRuleDto } from './dto/rule.dto';
import { RulesService } from './rules.service';

@ApiTags('rules')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/rules')
export class RulesController {
  constructor(private readonly rules: RulesService) {}

  @Post()
  @RequireScope('rules:write')
  @ApiOperation({ summary: 'Create a rule' })
  create(@Auth() auth: AuthContext, @Body() dto: CreateRuleDto) {
    return this.rules.create(auth, dto);
  }

  @Get()
  @RequireScope('rules:read')
  @ApiOperation({ summary: 'List rules, highest priority first' })
  list(@Auth() auth: AuthContext, @Query() query: ListRulesQueryDto) {
    return this.rules.list(auth, query);
  }

  @Get(':id')
  @RequireScope('rules:read')
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.rules.get(auth, id);
  }

  @Patch(':id')
  @RequireScope('rules:write')
  @ApiOperation({ summary: 'Change any writable field; the version goes up by one' })
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: UpdateRuleDto) {
    return this.rules.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('rules:write')
  async remove(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.rules.remove(auth, id);
  }
}
