import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth } from '../common/api-docs';
import { DependenciesService } from './dependencies.service';
import { CreateDependencyDto, DependenciesDto, DependencyDto } from './dto/dependency.dto';

const NOT_FOUND = "unknown rule, or another tenant's";

@ApiTags('rules')
@ApiKeyAuth()
@Controller('v1/rules/:id/dependencies')
export class DependenciesController {
  constructor(private readonly dependencies: DependenciesService) {}

  @Post()
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Make another rule run after every successful run of this one (the rules form a DAG)',
    description:
      'When a run of this rule ends `success`, every active child rule runs as a child workflow with the same ' +
      'event and data, `parent` set in its template context; its conditions are evaluated first.',
  })
  @ApiCreatedResponse({ type: DependencyDto })
  @ApiErrors(400, {
    404: 'unknown rule or child rule, or one of another tenant',
    409: 'self-dependency, a cycle (the message names it), or an existing edge',
  })
  add(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: CreateDependencyDto) {
    return this.dependencies.add(auth, id, dto);
  }

  @Get()
  @RequireScope('rules:read')
  @ApiOperation({
    summary: 'The rules this one starts after a success (children) and those that start it (parents)',
    description: 'Direct edges only, in both directions.',
  })
  @ApiOkResponse({ type: DependenciesDto })
  @ApiErrors({ 404: NOT_FOUND })
  list(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.dependencies.list(auth, id);
  }

  @Delete(':childRuleId')
  @HttpCode(204)
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Stop starting a child rule after this one',
    description: 'Runs already started are not affected.',
  })
  @ApiNoContentResponse({ description: 'removed' })
  @ApiErrors({ 404: 'no such dependency, or a rule of another tenant' })
  async remove(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    @Param('childRuleId') childRuleId: string,
  ): Promise<void> {
    await this.dependencies.remove(auth, id, childRuleId);
  }
}
