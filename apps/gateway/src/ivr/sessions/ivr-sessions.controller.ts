import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { IvrTurn } from '@ruleflow/contract';
import type { AuthContext } from '../../auth/auth-context';
import { Auth } from '../../auth/auth-context';
import { RequireScope } from '../../auth/scopes';
import { NotAudited } from '../../audit/not-audited.decorator';
import { CreateIvrSessionDto, IvrInputDto, ListIvrSessionsQueryDto } from './dto/ivr-session.dto';
import { IvrSessionsService } from './ivr-sessions.service';

@ApiTags('ivr')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/ivr/sessions')
export class IvrSessionsController {
  constructor(private readonly sessions: IvrSessionsService) {}

  @Post()
  @RequireScope('ivr:write')
  @ApiOperation({ summary: 'Start a call session (the workflow ivr-<sessionId>) at a menu' })
  @ApiCreatedResponse({ description: '{sessionId, workflowId, state, menuId, prompt}' })
  @ApiBadRequestResponse({ description: 'invalid body, or no such menu' })
  @ApiConflictResponse({ description: 'the callId already has a session' })
  async create(@Auth() auth: AuthContext, @Body() dto: CreateIvrSessionDto) {
    const { sessionId, workflowId, turn } = await this.sessions.start(auth.tenantId, {
      menuId: dto.menuId,
      callId: dto.callId,
      caller: dto.caller ?? null,
    });
    return { sessionId, workflowId, state: turn.state, menuId: turn.menuId, prompt: turn.prompt };
  }

  @Get()
  @RequireScope('ivr:read')
  @ApiOperation({ summary: 'List sessions, newest first (filters: state, menuId = the current menu, callId)' })
  list(@Auth() auth: AuthContext, @Query() query: ListIvrSessionsQueryDto) {
    const { state, menuId, callId, ...page } = query;
    return this.sessions.list(auth.tenantId, { state, menuId, callId }, page);
  }

  @Get(':id')
  @RequireScope('ivr:read')
  @ApiOperation({ summary: 'One session: live from its workflow while it runs, else as it ended' })
  @ApiNotFoundResponse({ description: 'unknown session, or one of another tenant' })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.sessions.get(auth.tenantId, id);
  }

  @Post(':id/input')
  @NotAudited() // caller input, not a change of configuration: the session's history records every press
  @HttpCode(200)
  @RequireScope('ivr:write')
  @ApiOperation({ summary: 'The caller pressed a key; answered after the workflow took it' })
  @ApiOkResponse({ description: '{state, menuId, prompt, action, target, outcome}' })
  @ApiConflictResponse({ description: 'the session has ended' })
  @ApiNotFoundResponse({ description: 'unknown session, or one of another tenant' })
  input(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: IvrInputDto): Promise<IvrTurn> {
    return this.sessions.input(auth.tenantId, id, dto.digit);
  }

  @Post(':id/back')
  @NotAudited() // caller input, like a key press
  @HttpCode(200)
  @RequireScope('ivr:write')
  @ApiOperation({ summary: 'Back to the previous menu' })
  @ApiConflictResponse({ description: 'the session has ended' })
  @ApiNotFoundResponse({ description: 'unknown session, or one of another tenant' })
  back(@Auth() auth: AuthContext, @Param('id') id: string): Promise<IvrTurn> {
    return this.sessions.back(auth.tenantId, id);
  }

  @Delete(':id')
  @HttpCode(200)
  @RequireScope('ivr:write')
  @ApiOperation({ summary: 'The caller hung up: the session ends with outcome hangup' })
  @ApiConflictResponse({ description: 'the session has ended' })
  @ApiNotFoundResponse({ description: 'unknown session, or one of another tenant' })
  hangUp(@Auth() auth: AuthContext, @Param('id') id: string): Promise<IvrTurn> {
    return this.sessions.hangUp(auth.tenantId, id);
  }
}
