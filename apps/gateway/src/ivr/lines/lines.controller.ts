import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthContext } from '../../auth/auth-context';
import { Auth } from '../../auth/auth-context';
import { RequireScope } from '../../auth/scopes';
import { PageQueryDto } from '../../common/pagination';
import { CreateLineDto, UpdateLineDto } from './dto/line.dto';
import { LinesService } from './lines.service';

const NOT_FOUND = 'unknown line, or one of another tenant';

@ApiTags('ivr')
@ApiBearerAuth()
@ApiSecurity('api-key')
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
  @ApiCreatedResponse({ description: 'the line' })
  @ApiBadRequestResponse({ description: 'a malformed field, or a menuId that is not a menu of this tenant' })
  create(@Auth() auth: AuthContext, @Body() dto: CreateLineDto) {
    return this.lines.create(auth, dto);
  }

  @Get()
  @RequireScope('ivr:read')
  @ApiOperation({ summary: 'List phone lines, newest first' })
  list(@Auth() auth: AuthContext, @Query() query: PageQueryDto) {
    return this.lines.list(auth, query);
  }

  @Get(':id')
  @RequireScope('ivr:read')
  @ApiOperation({ summary: 'One phone line' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.lines.get(auth, id);
  }

  @Patch(':id')
  @RequireScope('ivr:write')
  @ApiOperation({ summary: 'Change a phone line (its URLs stay the same)' })
  @ApiOkResponse({ description: 'the line' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: UpdateLineDto) {
    return this.lines.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('ivr:write')
  @ApiOperation({ summary: 'Delete a phone line (its URLs stop working)' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async remove(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.lines.remove(auth, id);
  }
}
