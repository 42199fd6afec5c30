import { BadRequestException, ConflictException, ForbiddenException, Inject, Injectable, Logger } from '@nestjs/common';
import {
  APPROVAL_INVALID_DECISION,
  APPROVAL_NOT_AN_APPROVER,
  APPROVAL_NOTHING_WAITING,
  approvalDecisionUpdate,
} from '@ruleflow/contract';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DataSource } from 'typeorm';
import type { AuthContext } from '../auth/auth-context';
import { TEMPORAL_CLIENT } from '../common/tokens';
import { temporalUnavailable } from '../temporal/temporal-unavailable';
import type { ApprovalDecisionDto } from './dto/approval.dto';
import { ExecutionsService } from './executions.service';

/**
 * A bound on the Update: it is answered once the run has recorded the decision (one local activity),
 * so this only matters when Temporal or the worker is away (then a 503).
 */
const DECISION_DEADLINE_MS = 30_000;

/**
 * Approving or rejecting the `wait_for_approval` action a run waits for, through the run's
 * `approvalDecision` Update: validated by the workflow (nothing waiting → 409, not an approver → 403),
 * answered after the run has recorded the decision, so the execution returned shows it. Only one
 * approval waits at a time (actions run in order): a decision is for the one waiting now.
 */
@Injectable()
export class ExecutionApprovalsService {
  private readonly logger = new Logger(ExecutionApprovalsService.name);

  constructor(
    private readonly db: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    private readonly executions: ExecutionsService,
  ) {}

  approve(auth: AuthContext, id: string, dto: ApprovalDecisionDto) {
    return this.decide(auth, id, true, dto);
  }

  reject(auth: AuthContext, id: string, dto: ApprovalDecisionDto) {
    return this.decide(auth, id, false, dto);
  }

  private async decide(auth: AuthContext, id: string, approved: boolean, { by, comment }: ApprovalDecisionDto) {
    const execution = await this.executions.find(this.db.manager, auth, id);
    if (execution.status !== 'running') throw nothingWaiting(`its status is ${execution.status}`);
    try {
      await this.temporal.withDeadline(Date.now() + DECISION_DEADLINE_MS, () =>
        this.temporal.workflow
          .getHandle(execution.workflowId)
          .executeUpdate(approvalDecisionUpdate, { args: [{ approved, by, ...(comment ? { comment } : {}) }] }),
      );
    } catch (err) {
      throw this.refusal(err);
    }
    return this.executions.get(auth, id);
  }

  /** The HTTP answer to a refused decision. */
  private refusal(err: unknown): Error {
    // Temporal has no open run under this id: it has ended.
    if (err instanceof WorkflowNotFoundError) return nothingWaiting('the run has ended');
    if (!(err instanceof WorkflowUpdateFailedError)) {
      return temporalUnavailable(this.logger, 'could not send an approval decision', err);
    }
    const type = err.cause instanceof ApplicationFailure ? err.cause.type : null;
    if (type === APPROVAL_NOT_AN_APPROVER) return new ForbiddenException(`by: ${err.cause!.message}`);
    if (type === APPROVAL_INVALID_DECISION) return new BadRequestException(err.cause!.message);
    // APPROVAL_NOTHING_WAITING, a rule with no approval action (no handler), or a run that ended
    // before it recorded the decision.
    return nothingWaiting(type === APPROVAL_NOTHING_WAITING ? 'it is not at an approval' : 'it takes no decision');
  }
}

function nothingWaiting(why: string): ConflictException {
  return new ConflictException(`the execution is not waiting for an approval: ${why}`);
}
