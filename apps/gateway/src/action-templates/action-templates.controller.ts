import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { PageQueryDto } from '../common/pagination';
import { ActionTemplatesService } from './action-templates.service';
import { CreateActionTemplateDto, UpdateActionTemplateDto } from './dto/action-template.dto';

@ApiTags('action-templates')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/action-templates')
export class ActionTemplatesController {
  constructor(private readonly templates: ActionTemplatesService) {}

  @Post()
  @RequireScope('rules:write')
  @ApiOperation({ summary: 'Create an action template; rule actions naming it get its defaultConfig' })
  create(@Auth() auth: AuthContext, @Body() dto: CreateActionTemplateDto) {
    return this.templates.create(auth, dto);
  }

  @Get()
  @RequireScope('rules:read')
  list(@Auth() auth: AuthContext, @Query() query: PageQueryDto) {
    return this.templates.list(auth, query);
  }

  @Get(':id')
  @RequireScope('rules:read')
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.templates.get(auth, id);
  }

  @Patch(':id')
  @RequireScope('rules:write')
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: UpdateActionTemplateDto) {
    return this.templates.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('rules:write')
  async remove(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.templates.remove(auth, id);
  }
}
