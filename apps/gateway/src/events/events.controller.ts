import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { NotAudited } from '../audit/not-audited.decorator';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { EventDto, EventPageDto, IngestEventDto, ListEventsQueryDto } from './dto/event.dto';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Post()
  @HttpCode(202)
  @RequireScope('events:write')
  @NotAudited() // the stored event is its own record
  @ApiOperation({ summary: 'Ingest an entity event; one run per matching active rule, in priority order' })
  @ApiAcceptedResponse({ description: '{"eventId","executions":[{"executionId","ruleId","workflowId"}]}' })
  ingest(@Auth() auth: AuthContext, @Body() dto: IngestEventDto) {
    return this.events.ingest(auth, dto);
  }

  @Get()
  @RequireScope('executions:read')
  @ApiOperation({
    summary: 'Event history, newest received first',
    description:
      'Every event a run was started on, whatever its source: the API, a captured table, a hook call, a ' +
      "schedule's fire or a manual run; each with the runs it started. `since`/`until` bound the time received.",
  })
  @ApiOkResponse({ type: EventPageDto })
  @ApiBadRequestResponse({ description: 'a filter is not valid (the message names it)' })
  list(@Auth() auth: AuthContext, @Query() query: ListEventsQueryDto) {
    return this.events.list(auth, query);
  }

  @Get(':id')
  @RequireScope('executions:read')
  @ApiOperation({ summary: 'One event: its data, source and the runs it started' })
  @ApiOkResponse({ type: EventDto })
  @ApiNotFoundResponse({ description: 'no such event in this tenant' })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.events.get(auth, id);
  }
}
