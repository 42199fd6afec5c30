import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { EXECUTION_STATUSES } from '@ruleflow/entities';
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
import { ExecutionsService } from './executions.service';

@ApiTags('executions')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/executions')
export class ExecutionsController {
  constructor(private readonly executions: ExecutionsService) {}

  @Get()
  @RequireScope('executions:read')
  @ApiOperation({ summary: 'List executions, newest first' })
  list(@Auth() auth: AuthContext, @Query() query: ListExecutionsQueryDto) {
    return this.executions.list(auth, query);
  }

  // Declared before `:id` so "summary" is not taken for an execution id.
  @Get('summary')
  @RequireScope('executions:read')
  @ApiOperation({ summary: 'Executions per status since `since` (by creation time; default: the last 7 days)' })
  @ApiOkResponse({
    description: 'every status is present, zero included',
    schema: {
      type: 'object',
      properties: Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, { type: 'integer' }])),
    },
  })
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
      'With `from: "failed"` each is resumed as `POST /v1/executions/{id}/rerun` does it.',
  })
  @ApiAcceptedResponse({ description: '{"count": n}: how many reruns were started' })
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
  @ApiAcceptedResponse({
    description: '{"count": n}: how many runs were cancelled (or asked to cancel)',
    schema: { type: 'object', properties: { count: { type: 'integer' } } },
  })
  bulkCancel(@Auth() auth: AuthContext, @Body() dto: BulkCancelDto) {
    return this.executions.bulkCancel(auth, dto);
  }

  @Get(':id')
  @RequireScope('executions:read')
  @ApiOperation({ summary: 'One execution with per-action status, attempts, output and the Temporal UI link' })
  @ApiNotFoundResponse({ description: 'unknown execution, or one of another tenant' })
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
  @ApiAcceptedResponse({ description: 'the execution' })
  @ApiConflictResponse({ description: 'the execution has already ended (the message names its status)' })
  @ApiNotFoundResponse({ description: 'unknown execution, or one of another tenant' })
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
      "original's idempotency keys (a webhook the original sent keeps its `webhook-id`, an allocation its key).",
  })
  @ApiAcceptedResponse({ description: '{"executionId","workflowId"}' })
  @ApiConflictResponse({ description: 'the rule no longer exists, or `from: "failed"` on a run that did not fail' })
  @ApiNotFoundResponse({ description: 'unknown execution, or one of another tenant' })
  rerun(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: RerunDto) {
    return this.executions.rerun(auth, id, dto);
  }
}
