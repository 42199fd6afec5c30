import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NotAudited } from '../audit/not-audited.decorator';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth } from '../common/api-docs';
import { EventDto, EventPageDto, IngestEventDto, IngestEventResultDto, ListEventsQueryDto } from './dto/event.dto';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiKeyAuth()
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Post()
  @HttpCode(202)
  @RequireScope('events:write')
  @NotAudited() // the stored event is its own record
  @ApiOperation({
    summary: 'Ingest an entity event; one run per matching active rule, in priority order',
    description:
      'Every active rule of that entity and trigger type whose conditions hold gets one run. `id` is the ' +
      'idempotency key: the same `id` again answers the same and starts nothing new. An accepted event is never ' +
      'lost. The event is also offered to webhook endpoints subscribed to `<entity>.<type>`.',
  })
  @ApiAcceptedResponse({ type: IngestEventResultDto })
  @ApiErrors(400)
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
  @ApiErrors({ 400: 'a filter is not valid (the message names it)' })
  list(@Auth() auth: AuthContext, @Query() query: ListEventsQueryDto) {
    return this.events.list(auth, query);
  }

  @Get(':id')
  @RequireScope('executions:read')
  @ApiOperation({
    summary: 'One event: its data, source and the runs it started',
    description: 'The runs include chained child runs and reruns on the same event.',
  })
  @ApiOkResponse({ type: EventDto })
  @ApiErrors({ 404: 'no such event in this tenant' })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.events.get(auth, id);
  }
}
