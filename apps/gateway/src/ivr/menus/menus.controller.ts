import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyAuth, ApiPageResponse } from '../../common/api-docs';
import type { AuthContext } from '../../auth/auth-context';
import { Auth } from '../../auth/auth-context';
import { RequireScope } from '../../auth/scopes';
import { PageQueryDto } from '../../common/pagination';
import { CreateIvrMenuDto, IvrMenuDto, UpdateIvrMenuDto } from './dto/menu.dto';
import { IvrMenusService } from './menus.service';

const NOT_FOUND = 'unknown IVR menu, or one of another tenant';

@ApiTags('ivr')
@ApiKeyAuth()
@Controller('v1/ivr/menus')
export class IvrMenusController {
  constructor(private readonly menus: IvrMenusService) {}

  @Post()
  @RequireScope('ivr:write')
  @ApiOperation({
    summary: 'Create an IVR menu',
    description:
      'Digits `0-9`, `*`, `#`, one item per digit; `submenu` needs the id of a menu of the same tenant, `agent`/`transfer` a target.',
  })
  @ApiCreatedResponse({ type: IvrMenuDto, description: 'the menu' })
  @ApiErrors({
    400: 'a field out of bounds, a digit used twice, a missing or foreign target, …',
    409: 'the tenant has the most menus it may have',
  })
  create(@Auth() auth: AuthContext, @Body() dto: CreateIvrMenuDto) {
    return this.menus.create(auth, dto);
  }

  @Get()
  @RequireScope('ivr:read')
  @ApiOperation({ summary: 'List IVR menus, newest first', description: 'Paged with `?limit=` and `?cursor=`.' })
  @ApiPageResponse(IvrMenuDto)
  @ApiErrors(400)
  list(@Auth() auth: AuthContext, @Query() query: PageQueryDto) {
    return this.menus.list(auth, query);
  }

  @Get(':id')
  @RequireScope('ivr:read')
  @ApiOperation({ summary: 'One IVR menu', description: 'Its prompt, items (one per digit) and timeouts.' })
  @ApiOkResponse({ type: IvrMenuDto })
  @ApiErrors({ 404: NOT_FOUND })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.menus.get(auth, id);
  }

  @Patch(':id')
  @RequireScope('ivr:write')
  @ApiOperation({
    summary: 'Change an IVR menu',
    description: 'Bumps `version`; calls in progress keep the menus they started with.',
  })
  @ApiOkResponse({ type: IvrMenuDto, description: 'the menu' })
  @ApiErrors({ 400: 'as on create; a parentMenuId that would make a cycle', 404: NOT_FOUND })
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: UpdateIvrMenuDto) {
    return this.menus.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('ivr:write')
  @ApiOperation({
    summary: 'Delete an IVR menu that no other menu and no phone line names',
    description: 'Sessions in progress keep the menus they started with.',
  })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors({ 404: NOT_FOUND, 409: 'a submenu target or parent of another menu, or the menu of a phone line' })
  async remove(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.menus.remove(auth, id);
  }
}
