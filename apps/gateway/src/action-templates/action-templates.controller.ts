import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth, ApiPageResponse } from '../common/api-docs';
import { PageQueryDto } from '../common/pagination';
import { ActionTemplatesService } from './action-templates.service';
import { ActionTemplateDto, CreateActionTemplateDto, UpdateActionTemplateDto } from './dto/action-template.dto';

const NOT_FOUND = "unknown action template, or another tenant's";

@ApiTags('action-templates')
@ApiKeyAuth()
@Controller('v1/action-templates')
export class ActionTemplatesController {
  constructor(private readonly templates: ActionTemplatesService) {}

  @Post()
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Create an action template; rule actions naming it get its defaultConfig',
    description:
      'A rule action with `"templateId"` gets its `config` merged over the template\'s `defaultConfig`. ' +
      'The merge happens when the rule is saved. The config is validated as an action of `actionType` would be ' +
      '(400 naming the field).',
  })
  @ApiCreatedResponse({ type: ActionTemplateDto })
  @ApiErrors(400, { 409: 'an action template of that name exists' })
  create(@Auth() auth: AuthContext, @Body() dto: CreateActionTemplateDto) {
    return this.templates.create(auth, dto);
  }

  @Get()
  @RequireScope('rules:read')
  @ApiOperation({ summary: 'List action templates', description: 'Paged with `?limit=` and `?cursor=`.' })
  @ApiPageResponse(ActionTemplateDto)
  @ApiErrors(400)
  list(@Auth() auth: AuthContext, @Query() query: PageQueryDto) {
    return this.templates.list(auth, query);
  }

  @Get(':id')
  @RequireScope('rules:read')
  @ApiOperation({ summary: 'One action template', description: 'Secrets in its defaultConfig are masked.' })
  @ApiOkResponse({ type: ActionTemplateDto })
  @ApiErrors({ 404: NOT_FOUND })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.templates.get(auth, id);
  }

  @Patch(':id')
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Change an action template',
    description: 'Rules saved before keep the config merged then; rules saved from now on get the new defaultConfig.',
  })
  @ApiOkResponse({ type: ActionTemplateDto })
  @ApiErrors(400, { 404: NOT_FOUND, 409: 'an action template of that name exists' })
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: UpdateActionTemplateDto) {
    return this.templates.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Delete an action template',
    description: 'Rules keep the config merged when they were saved, so no rule breaks.',
  })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors({ 404: NOT_FOUND })
  async remove(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.templates.remove(auth, id);
  }
}
