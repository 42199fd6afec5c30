import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ACTION_STATUSES,
  type ActionStatus,
  EXECUTION_STATUSES,
  type ExecutionActionRecord,
  type ExecutionStatus,
} from '@ruleflow/entities';
import { TRIGGER_TYPES, type TriggerType } from '@ruleflow/rules';

/** One action of a run, as the execution records it. */
export class ExecutionActionDto implements ExecutionActionRecord {
  @ApiProperty({ example: 'erp' })
  name: string;

  @ApiProperty({ example: 'webhook' })
  type: string;

  @ApiProperty({ enum: ACTION_STATUSES, description: '`waiting`: a wait_for_approval action waiting for a decision' })
  status: ActionStatus;

  @ApiProperty({ example: 2 })
  attempts: number;

  @ApiProperty({
    description: 'webhook `{statusCode, body}`, create_alert `{alertId}`, send_notification `{deliveryIds}`, …',
    example: { statusCode: 200 },
  })
  output: unknown;

  @ApiProperty({ type: String, nullable: true })
  error: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt: string | null;

  @ApiPropertyOptional({ enum: ['on_failure'], description: "one of the rule's onFailure actions" })
  phase?: 'on_failure';

  @ApiPropertyOptional({ enum: [true], description: "on a resume: the original's success, not run again" })
  reused?: true;
}

/** An execution (execution.mapper.ts `toExecutionResponse`): one run of a rule. */
export class ExecutionDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  ruleId: string;

  @ApiProperty({ example: 3, description: 'the rule version the run uses to its end' })
  ruleVersion: number;

  @ApiProperty({ example: 'evt-1001' })
  eventId: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'set on a child rule run' })
  parentExecutionId: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'set on a rerun' })
  rerunOf: string | null;

  @ApiProperty({ example: 'rule-6f1c…-evt-1001', description: 'the Temporal workflow id' })
  workflowId: string;

  @ApiProperty({ type: String, nullable: true, description: 'the Temporal run id once started' })
  runId: string | null;

  @ApiProperty({ enum: TRIGGER_TYPES })
  triggerType: TriggerType;

  @ApiProperty({ enum: EXECUTION_STATUSES })
  status: ExecutionStatus;

  @ApiProperty({ description: 'always false: dry runs (POST /v1/rules/{id}/test) record no execution' })
  testMode: boolean;

  @ApiProperty({ type: [ExecutionActionDto] })
  actions: ExecutionActionDto[];

  @ApiProperty({ type: String, nullable: true, description: 'why the run failed' })
  error: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'the action that failed' })
  errorAction: string | null;

  @ApiProperty({ format: 'date-time' })
  startedAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt: string | null;

  @ApiProperty({ type: Number, nullable: true })
  durationMs: number | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ description: 'the run in the Temporal Web UI' })
  temporalUrl: string;
}

/** Executions per status (every status present, zero included). */
export class ExecutionSummaryDto implements Record<ExecutionStatus, number> {
  @ApiProperty({ example: 0 })
  pending: number;

  @ApiProperty({ example: 2 })
  running: number;

  @ApiProperty({ example: 120 })
  success: number;

  @ApiProperty({ example: 3 })
  failed: number;

  @ApiProperty({ example: 1 })
  partial: number;

  @ApiProperty({ example: 0 })
  cancelled: number;
}
