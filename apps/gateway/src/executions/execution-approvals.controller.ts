import { applyDecorators, Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth } from '../common/api-docs';
import { ApprovalDecisionDto } from './dto/approval.dto';
import { ExecutionDto } from './dto/execution-response.dto';
import { ExecutionApprovalsService } from './execution-approvals.service';

const DECISION_DESCRIPTION =
  'Decides the `wait_for_approval` action the run waits for now (actions run in order, so at most one waits), ' +
  'through a Temporal Update: the answer comes after the run has recorded the decision, so the execution ' +
  'returned shows the action `success` (approved; output `{"approved","by","comment","at"}`) or `failed` ' +
  '(rejected: no retry; the run then fails, or ends partial with continueOnError, and its onFailure actions run).';

/** One route's docs, scope and status: the two decisions differ only in their summary and answer. */
function DecisionRoute(summary: string, answer: string) {
  return applyDecorators(
    HttpCode(200),
    RequireScope('executions:write'),
    ApiOperation({ summary, description: DECISION_DESCRIPTION }),
    ApiOkResponse({ type: ExecutionDto, description: `the execution (as GET returns it), ${answer}` }),
    ApiErrors({
      400: 'the body is malformed (`by` missing, blank or over 200 characters; `comment` over 2000; unknown fields)',
      403: "`by` is not among the waiting action's `approvers`, or the API key lacks `executions:write`",
      404: 'unknown execution, or one of another tenant',
      409: 'nothing waits for an approval: the run has ended, has not started, or is running another action',
    }),
  );
}

@ApiTags('executions')
@ApiKeyAuth()
@Controller('v1/executions')
export class ExecutionApprovalsController {
  constructor(private readonly approvals: ExecutionApprovalsService) {}

  @Post(':id/approve')
  @DecisionRoute('Approve the wait_for_approval action a run waits for', 'the approval recorded')
  approve(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: ApprovalDecisionDto) {
    return this.approvals.approve(auth, id, dto);
  }

  @Post(':id/reject')
  @DecisionRoute('Reject the wait_for_approval action a run waits for', 'the action failed')
  reject(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: ApprovalDecisionDto) {
    return this.approvals.reject(auth, id, dto);
  }
}
