import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiKeyAuth, ApiPageResponse, CountDto, StartedRunDto } from '../common/api-docs';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import {
  BULK_CANCEL_CAP,
  BULK_RERUN_CAP,
  BulkCancelDto,
  BulkRerunDto,
  ExecutionSummaryQueryDto,
  ListExecutionsQueryDto,
  RerunDto,
} from './dto/execution.dto';
import { ExecutionDto, ExecutionSummaryDto } from './dto/execution-response.dto';
import { ExecutionsService } from './executions.service';

@ApiTags('executions')
@ApiKeyAuth()
@Controller('v1/executions')
export class ExecutionsController {
  constructor(private readonly executions: ExecutionsService) {}

  @Get()
  @RequireScope('executions:read')
  @ApiOperation({
    summary: 'List executions, newest first',
    description: 'Filter by `ruleId`, `status` and `eventId`; paged with `?limit=` and `?cursor=`.',
  })
  @ApiPageResponse(ExecutionDto)
  @ApiErrors(400)
  list(@Auth() auth: AuthContext, @Query() query: ListExecutionsQueryDto) {
    return this.executions.list(auth, query);
  }

  // Declared before `:id` so "summary" is not taken for an execution id.
  @Get('summary')
  @RequireScope('executions:read')
  @ApiOperation({
    summary: 'Executions per status since `since` (by creation time; default: the last 7 days)',
    description: 'Counts over the whole tenant; every status is present, zero included.',
  })
  @ApiOkResponse({ type: ExecutionSummaryDto })
  @ApiErrors(400)
  summary(@Auth() auth: AuthContext, @Query() query: ExecutionSummaryQueryDto) {
    return this.executions.summary(auth, query);
  }

  @Post('rerun')
  @HttpCode(202)
  @RequireScope('executions:write')
  @ApiOperation({
    summary: 'Rerun failed or partial executions in bulk',
    description:
      `Reruns every execution of the caller's tenant with this status (and rule), created since \`since\` ` +
      `(default: the last 7 days), oldest first, at most ${BULK_RERUN_CAP} per call; call again for more. ` +
      'Executions already rerun and those whose rule was deleted are skipped, so repeating a call does not double up. ' +
      'With `from: "failed"` each is resumed as `POST /v1/executions/{id}/rerun` does it; runs it would refuse ' +
      '(already resumed, or superseded by a newer failed resume) are skipped and not counted.',
  })
  @ApiAcceptedResponse({ type: CountDto, description: 'how many reruns were started' })
  @ApiErrors(400)
  bulkRerun(@Auth() auth: AuthContext, @Body() dto: BulkRerunDto) {
    return this.executions.bulkRerun(auth, dto);
  }

  // Declared before `:id/...` routes, like `rerun`.
  @Post('cancel')
  @HttpCode(202)
  @RequireScope('executions:write')
  @ApiOperation({
    summary: 'Cancel pending and running executions in bulk',
    description:
      "Cancels every execution of the caller's tenant that has not ended (`status`: `pending` or `running`, " +
      'default both), of this rule and created since `since` when given, oldest first, ' +
      `at most ${BULK_CANCEL_CAP} per call; call again for more. Each is cancelled as ` +
      '`POST /v1/executions/{id}/cancel` does it; the call does not wait for the runs to record `cancelled` ' +
      '(a run asked to cancel that has not recorded it yet is asked, and counted, again by the next call). ' +
      "Another tenant's rule id matches nothing.",
  })
  @ApiAcceptedResponse({ type: CountDto, description: 'how many runs were cancelled (or asked to cancel)' })
  @ApiErrors(400)
  bulkCancel(@Auth() auth: AuthContext, @Body() dto: BulkCancelDto) {
    return this.executions.bulkCancel(auth, dto);
  }

  @Get(':id')
  @RequireScope('executions:read')
  @ApiOperation({
    summary: 'One execution with per-action status, attempts, output and the Temporal UI link',
    description:
      '`status` is pending, running, success, failed, partial (some actions succeeded, a later one failed) or ' +
      'cancelled; each action has its own status, attempts, output and error.',
  })
  @ApiOkResponse({ type: ExecutionDto })
  @ApiErrors({ 404: 'unknown execution, or one of another tenant' })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.executions.get(auth, id);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @RequireScope('executions:write')
  @ApiOperation({
    summary: 'Cancel a run that has not ended',
    description:
      'A started run is cancelled through Temporal (a running delay or activity stops) and records `cancelled`; ' +
      'a run not started yet is marked `cancelled` and never starts. Answers the execution as it is after a short wait.',
  })
  @ApiAcceptedResponse({ type: ExecutionDto, description: 'the execution' })
  @ApiErrors({
    409: 'the execution has already ended (the message names its status)',
    404: 'unknown execution, or one of another tenant',
  })
  cancel(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.executions.cancel(auth, id);
  }

  @Post(':id/rerun')
  @HttpCode(202)
  @RequireScope('executions:write')
  @ApiOperation({
    summary: 'Run the rule again on the same event, from the start or resuming from the failed action',
    description:
      'The new execution has `rerunOf` set to this one and the same trigger type. `from: "start"` (default): ' +
      'the rule at its current version, every action. `from: "failed"`: a resume of a failed or partial run at ' +
      "the original's rule version: actions that succeeded read `success`, `attempts` 0, `reused: true` with the " +
      "original's output (seen by later templates in `steps`); the failed action and those after it run with the " +
      "original's idempotency keys (a webhook the original sent keeps its `webhook-id`, an allocation its key; " +
      "an allocation rejected for want of stock is tried again against today's stock). A run is resumed once: " +
      'while a resume of it (or of its resumes) is pending, running or ended success, another is refused; ' +
      'after a resume that failed, that newest failed run is the one to resume.',
  })
  @ApiAcceptedResponse({ type: StartedRunDto })
  @ApiErrors(400, {
    404: 'unknown execution, or one of another tenant',
    409:
      'the rule no longer exists, or `from: "failed"` on a run that did not fail, that is already resumed (a resume ' +
      'of it is pending, running or ended success), or that a newer failed resume supersedes (the message names ' +
      'that execution)',
  })
  rerun(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: RerunDto) {
    return this.executions.rerun(auth, id, dto);
  }
}
