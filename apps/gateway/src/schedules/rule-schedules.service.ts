import type { OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import { asSystem, RuleEntity } from '@ruleflow/entities';
import { ruleRunSearchAttributes } from '@ruleflow/contract';
import type { Client, ScheduleOptionsStartWorkflowAction, ScheduleUpdateOptions } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { RULEFLOW_CONFIG, TEMPORAL_CLIENT } from '../common/tokens';
import { parseScheduleSpec } from './schedule-spec';

export const SCHEDULED_RULE_WORKFLOW = 'ScheduledRuleWorkflow';

/** The Temporal Schedule of a `scheduled` rule (by id only: it stays the same when the rule is renamed). */
export function ruleScheduleId(ruleId: string): string {
  return `rule-schedule-${ruleId}`;
}

/**
 * The workflow id of the rule's fires (Temporal appends each fire's time): the schedule's id, then
 * the rule's name as a slug, so the workflow list names the rule; `WorkflowId STARTS_WITH
 * "rule-schedule-<ruleId>"` still finds every fire of the rule.
 */
export function ruleFireWorkflowId(rule: Pick<RuleEntity, 'id' | 'name'>): string {
  const slug = rule.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '');
  return slug ? `${ruleScheduleId(rule.id)}-${slug}` : ruleScheduleId(rule.id);
}

/**
 * Keeps one Temporal Schedule per `scheduled` rule (`rule-schedule-<ruleId>`, its note naming the rule): created or updated
 * with the rule, paused while it is inactive, deleted with it (or when it stops being scheduled),
 * and recreated at start-up when missing.
 */
@Injectable()
export class RuleSchedulesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RuleSchedulesService.name);

  constructor(
    private readonly db: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
  ) {}

  onApplicationBootstrap(): void {
    // In the background: a gateway must come up (and report health) even while Temporal is away.
    asSystem(() => this.reconcileAll()).catch((err: unknown) =>
      this.logger.warn(`could not reconcile rule schedules: ${(err as Error).message}`),
    );
  }

  /** Bring the rule's schedule in line with the rule. */
  async sync(rule: RuleEntity): Promise<void> {
    if (rule.triggerType !== 'scheduled') {
      await this.remove(rule.id);
      return;
    }
    const options = this.scheduleOptions(rule);
    try {
      await this.temporal.schedule.create({ scheduleId: ruleScheduleId(rule.id), ...options });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await this.temporal.schedule.getHandle(ruleScheduleId(rule.id)).update(() => options);
    }
  }

  /** Delete the rule's schedule, if any. */
  async remove(ruleId: string): Promise<void> {
    try {
      await this.temporal.schedule.getHandle(ruleScheduleId(ruleId)).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }

  /** Create or update the schedule of every scheduled rule (all tenants); returns how many were synced. */
  async reconcileAll(): Promise<number> {
    const rules = await this.db.getRepository(RuleEntity).find({ where: { triggerType: 'scheduled' } });
    for (const rule of rules) await this.sync(rule);
    if (rules.length) this.logger.log(`rule schedules in place: ${rules.length}`);
    return rules.length;
  }

  private scheduleOptions(rule: RuleEntity): ScheduleUpdateOptions<ScheduleOptionsStartWorkflowAction<never>> {
    const { cron, timezone } = parseScheduleSpec(rule.trigger);
    return {
      spec: { cronExpressions: [cron], timezone },
      action: {
        type: 'startWorkflow',
        workflowType: SCHEDULED_RULE_WORKFLOW,
        workflowId: ruleFireWorkflowId(rule),
        taskQueue: this.config.temporal.taskQueue,
        args: [{ ruleId: rule.id, tenantId: rule.tenantId }] as never,
        // Each fire is the rule's run (the workflow adds its EventId and RunStatus).
        typedSearchAttributes: ruleRunSearchAttributes({ ...rule, triggerType: 'scheduled' }),
        // Plain text: the list and the schedule page show a summary as is.
        staticSummary: `Scheduled rule ${rule.name} (${cron} ${timezone})`,
      },
      // A run still going when the next fire time comes: skip, rather than pile up.
      policies: { overlap: 'SKIP', catchupWindow: '1 minute' },
      state: {
        paused: !rule.isActive,
        note: `rule ${JSON.stringify(rule.name)} (${rule.id}) v${rule.version}${rule.isActive ? '' : ' is inactive'}`,
      },
    };
  }
}
