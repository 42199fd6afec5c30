import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyAuth, ApiPageResponse } from '../../common/api-docs';
import type { AuthContext } from '../../auth/auth-context';
import { Auth } from '../../auth/auth-context';
import { RequireScope } from '../../auth/scopes';
import { PageQueryDto } from '../../common/pagination';
import { CreateLineDto, LineDto, UpdateLineDto } from './dto/line.dto';
import { LinesService } from './lines.service';

const NOT_FOUND = 'unknown line, or one of another tenant';

@ApiTags('ivr')
@ApiKeyAuth()
@Controller('v1/ivr/lines')
export class LinesController {
  constructor(private readonly lines: LinesService) {}

  @Post()
  @RequireScope('ivr:write')
  @ApiOperation({
    summary: 'Register a phone line (a Twilio number whose calls run a menu)',
    description:
      'The answer carries `voiceUrl` and `statusCallbackUrl` to configure at the provider; their token is a ' +
      'credential. `authToken` is sealed at rest and never returned.',
  })
  @ApiCreatedResponse({ type: LineDto, description: 'the line' })
  @ApiErrors({ 400: 'a malformed field, or a menuId that is not a menu of this tenant' })
  create(@Auth() auth: AuthContext, @Body() dto: CreateLineDto) {
    return this.lines.create(auth, dto);
  }

  @Get()
  @RequireScope('ivr:read')
  @ApiOperation({ summary: 'List phone lines, newest first', description: 'Paged with `?limit=` and `?cursor=`.' })
  @ApiPageResponse(LineDto)
  @ApiErrors(400)
  list(@Auth() auth: AuthContext, @Query() query: PageQueryDto) {
    return this.lines.list(auth, query);
  }

  @Get(':id')
  @RequireScope('ivr:read')
  @ApiOperation({
    summary: 'One phone line',
    description: 'With its voiceUrl and statusCallbackUrl; never its authToken.',
  })
  @ApiOkResponse({ type: LineDto })
  @ApiErrors({ 404: NOT_FOUND })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.lines.get(auth, id);
  }

  @Patch(':id')
  @RequireScope('ivr:write')
  @ApiOperation({
    summary: 'Change a phone line (its URLs stay the same)',
    description: 'A new authToken is sealed at rest; calls in progress are not affected.',
  })
  @ApiOkResponse({ type: LineDto, description: 'the line' })
  @ApiErrors(400, { 404: NOT_FOUND })
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: UpdateLineDto) {
    return this.lines.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('ivr:write')
  @ApiOperation({
    summary: 'Delete a phone line (its URLs stop working)',
    description: "The provider's requests to its URLs are answered 404 from then on.",
  })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors({ 404: NOT_FOUND })
  async remove(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.lines.remove(auth, id);
  }
}
