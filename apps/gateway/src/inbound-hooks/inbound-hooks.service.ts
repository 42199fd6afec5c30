import { randomUUID } from 'node:crypto';
import { constantTimeEqual, hashBearerToken } from '@ruleflow/rules/node/bearer-token';
import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { asSystem, ExecutionEntity, inTenantScope, RuleEntity } from '@ruleflow/entities';
import type { ConditionPredicate, RuleEvent } from '@ruleflow/rules';
import { compileConditions } from '@ruleflow/rules';
import { compileRegex } from '@ruleflow/rules/node/safe-regex';
import { ruleWorkflowId } from '@ruleflow/contract';
import { DataSource } from 'typeorm';
import { ExecutionLauncher } from '../executions/execution-launcher.service';

/** Hook tokens are 32 random bytes in base64url (43 characters); anything unlike one is not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,200}$/;
/** The same characters an event id may use, so the key can be the event id as it is. */
export const IDEMPOTENCY_KEY_SHAPE = /^[A-Za-z0-9._:@-]{1,200}$/;
/** Compiled conditions kept per rule version; beyond this many the oldest is dropped. */
const PREDICATE_CACHE_SIZE = 500;

/** The answer to a hook call: the run it started, or `matched: false` when the conditions did not hold. */
export type HookResponse =
  { executionId: string; workflowId: string; matched: true } | { executionId: null; workflowId: null; matched: false };

/** Runs `webhook`-triggered rules from `POST /v1/hooks/:token`, where the token is the credential. */
@Injectable()
export class InboundHooksService {
  private readonly predicates = new Map<string, ConditionPredicate>();

  constructor(
    private readonly db: DataSource,
    private readonly runs: ExecutionLauncher,
  ) {}

  /**
   * Fire the rule of this token with `body` as the event data. With an idempotency key the event id
   * is the key, so a retried call finds the run of the first one and starts nothing new.
   */
  async fire(token: string, body: unknown, idempotencyKey: string | undefined): Promise<HookResponse> {
    // The token names the tenant: found across tenants, then everything runs in that tenant's scope.
    const rule = await asSystem(() => this.authenticate(token));
    return inTenantScope(rule.tenantId, () => this.fireRule(rule, body, idempotencyKey));
  }

  private async fireRule(rule: RuleEntity, body: unknown, idempotencyKey: string | undefined): Promise<HookResponse> {
    if (!isJsonObject(body)) throw new BadRequestException('request body must be a JSON object');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_SHAPE.test(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key header must be 1..200 letters, digits or . _ : @ -');
    }

    const eventId = idempotencyKey ?? randomUUID();
    const workflowId = ruleWorkflowId(rule.id, eventId);
    if (idempotencyKey !== undefined) {
      const known = await this.existing(workflowId);
      if (known) return known;
    }

    if (!this.matches(rule, body)) return { executionId: null, workflowId: null, matched: false };

    const event: RuleEvent = {
      id: eventId,
      entity: rule.entity,
      type: 'webhook',
      data: body,
      previous: null,
      occurredAt: new Date().toISOString(),
    };
    try {
      const run = await this.runs.launch({ id: randomUUID(), rule, event, workflowId, triggerType: 'webhook' }, 'hook');
      return { executionId: run.executionId, workflowId: run.workflowId, matched: true };
    } catch (err) {
      // A concurrent retry with the same key won the insert (workflow_id is unique): answer with its run.
      if (idempotencyKey !== undefined && isUniqueViolation(err)) {
        const known = await this.existing(workflowId);
        if (known) return known;
      }
      throw err;
    }
  }

  /** The active webhook rule of this token; every other case is the same 404, so nothing is revealed. */
  private async authenticate(token: string): Promise<RuleEntity> {
    // Only the token's hash is stored: found by hash, like API keys.
    const hash = TOKEN_SHAPE.test(token) ? hashBearerToken(token) : null;
    const rule = hash ? await this.db.getRepository(RuleEntity).findOneBy({ hookTokenHash: hash }) : null;
    // The unique index finds the row; the constant-time check is the comparison we rely on.
    const valid =
      rule !== null &&
      hash !== null &&
      rule.hookTokenHash !== null &&
      constantTimeEqual(rule.hookTokenHash, hash) &&
      rule.isActive &&
      rule.triggerType === 'webhook';
    if (!valid) throw new NotFoundException('hook not found');
    return rule;
  }

  private async existing(workflowId: string): Promise<HookResponse | null> {
    const row = await this.db
      .getRepository(ExecutionEntity)
      .findOne({ where: { workflowId }, select: { id: true, workflowId: true } });
    return row ? { executionId: row.id, workflowId: row.workflowId, matched: true } : null;
  }

  /** Whether the rule's conditions hold for the posted data; conditions that cannot be compiled never hold. */
  private matches(rule: RuleEntity, data: Record<string, unknown>): boolean {
    const key = `${rule.id}:${rule.version}`;
    let predicate = this.predicates.get(key);
    if (!predicate) {
      try {
        predicate = compileConditions(rule.conditions, { compileRegex });
      } catch {
        predicate = () => false;
      }
      if (this.predicates.size >= PREDICATE_CACHE_SIZE) {
        const oldest = this.predicates.keys().next();
        if (!oldest.done) this.predicates.delete(oldest.value);
      }
      this.predicates.set(key, predicate);
    }
    try {
      return predicate({ data, previous: null });
    } catch {
      return false;
    }
  }
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } } | undefined;
  return (e?.code ?? e?.driverError?.code) === '23505';
}
