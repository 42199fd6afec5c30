import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyAuth, ApiPageResponse } from '../../common/api-docs';
import type { IvrTurn } from '@ruleflow/contract';
import type { AuthContext } from '../../auth/auth-context';
import { Auth } from '../../auth/auth-context';
import { RequireScope } from '../../auth/scopes';
import { NotAudited } from '../../audit/not-audited.decorator';
import {
  CreateIvrSessionDto,
  IvrInputDto,
  IvrSessionDto,
  IvrTurnDto,
  ListIvrSessionsQueryDto,
  StartedIvrSessionDto,
} from './dto/ivr-session.dto';
import { IvrSessionsService } from './ivr-sessions.service';

@ApiTags('ivr')
@ApiKeyAuth()
@Controller('v1/ivr/sessions')
export class IvrSessionsController {
  constructor(private readonly sessions: IvrSessionsService) {}

  @Post()
  @RequireScope('ivr:write')
  @ApiOperation({
    summary: 'Start a call session (the workflow ivr-<sessionId>) at a menu',
    description: 'One long-running Temporal workflow per call; the answer is the first prompt.',
  })
  @ApiCreatedResponse({ type: StartedIvrSessionDto })
  @ApiErrors({ 400: 'invalid body, or no such menu', 409: 'the callId already has a session' })
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
  @ApiOperation({
    summary: 'List sessions, newest first (filters: state, menuId = the current menu, callId)',
    description: 'Paged with `?limit=` and `?cursor=`.',
  })
  @ApiPageResponse(IvrSessionDto)
  @ApiErrors(400)
  list(@Auth() auth: AuthContext, @Query() query: ListIvrSessionsQueryDto) {
    const { state, menuId, callId, ...page } = query;
    return this.sessions.list(auth.tenantId, { state, menuId, callId }, page);
  }

  @Get(':id')
  @RequireScope('ivr:read')
  @ApiOperation({
    summary: 'One session: live from its workflow while it runs, else as it ended',
    description: 'With the menu stack, retry count, outcome and the history of every key press.',
  })
  @ApiOkResponse({ type: IvrSessionDto })
  @ApiErrors({ 404: 'unknown session, or one of another tenant' })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.sessions.get(auth.tenantId, id);
  }

  @Post(':id/input')
  @NotAudited() // caller input, not a change of configuration: the session's history records every press
  @HttpCode(200)
  @RequireScope('ivr:write')
  @ApiOperation({
    summary: 'The caller pressed a key; answered after the workflow took it',
    description:
      '`submenu` moves to the target menu, `back` pops it, `repeat` repeats the prompt, `agent`/`transfer`/`hangup` ' +
      'end the session with an outcome. An invalid digit answers the invalidPrompt and counts a retry.',
  })
  @ApiOkResponse({ type: IvrTurnDto })
  @ApiErrors(400, { 409: 'the session has ended', 404: 'unknown session, or one of another tenant' })
  input(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: IvrInputDto): Promise<IvrTurn> {
    return this.sessions.input(auth.tenantId, id, dto.digit);
  }

  @Post(':id/back')
  @NotAudited() // caller input, like a key press
  @HttpCode(200)
  @RequireScope('ivr:write')
  @ApiOperation({ summary: 'Back to the previous menu', description: 'At the top menu the caller stays there.' })
  @ApiOkResponse({ type: IvrTurnDto })
  @ApiErrors({ 409: 'the session has ended', 404: 'unknown session, or one of another tenant' })
  back(@Auth() auth: AuthContext, @Param('id') id: string): Promise<IvrTurn> {
    return this.sessions.back(auth.tenantId, id);
  }

  @Delete(':id')
  @HttpCode(200)
  @RequireScope('ivr:write')
  @ApiOperation({
    summary: 'The caller hung up: the session ends with outcome hangup',
    description: 'Answered after the workflow ended the session.',
  })
  @ApiOkResponse({ type: IvrTurnDto })
  @ApiErrors({ 409: 'the session has ended', 404: 'unknown session, or one of another tenant' })
  hangUp(@Auth() auth: AuthContext, @Param('id') id: string): Promise<IvrTurn> {
    return this.sessions.hangUp(auth.tenantId, id);
  }
}
