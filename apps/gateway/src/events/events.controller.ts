import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { NotAudited } from '../audit/not-audited.decorator';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { IngestEventDto } from './dto/event.dto';
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
}
