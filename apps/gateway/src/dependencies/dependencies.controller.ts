import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { DependenciesService } from './dependencies.service';
import { CreateDependencyDto } from './dto/dependency.dto';

@ApiTags('rules')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/rules/:id/dependencies')
export class DependenciesController {
  constructor(private readonly dependencies: DependenciesService) {}

  @Post()
  @RequireScope('rules:write')
  @ApiOperation({ summary: 'Make another rule run after every successful run of this one (the rules form a DAG)' })
  @ApiCreatedResponse({ description: '{"id","parentRuleId","childRuleId","createdAt"}' })
  @ApiConflictResponse({ description: 'self-dependency, a cycle (the message names it), or an existing edge' })
  add(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: CreateDependencyDto) {
    return this.dependencies.add(auth, id, dto);
  }

  @Get()
  @RequireScope('rules:read')
  @ApiOperation({ summary: 'The rules this one starts after a success (children) and those that start it (parents)' })
  list(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.dependencies.list(auth, id);
  }

  @Delete(':childRuleId')
  @HttpCode(204)
  @RequireScope('rules:write')
  @ApiNoContentResponse({ description: 'removed; 404 when there is no such dependency' })
  async remove(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    @Param('childRuleId') childRuleId: string,
  ): Promise<void> {
    await this.dependencies.remove(auth, id, childRuleId);
  }
}
