import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import { RuleEntity } from '@ruleflow/entities';
import type { ConditionPredicate, EventType } from '@ruleflow/rules';
import { compileConditions } from '@ruleflow/rules';
import { compileRegex } from '@ruleflow/rules/node/safe-regex';
import { Client as PgClient } from 'pg';
import { DataSource } from 'typeorm';
import { RULEFLOW_CONFIG } from '../common/tokens';

/** Every rule write notifies this channel with the tenant id, in its transaction (delivered on commit). */
export const RULES_CHANGED_CHANNEL = 'ruleflow_rules_changed';

export interface CompiledRule {
  rule: RuleEntity;
  /** False when the rule cannot be evaluated (it then never matches). */
  matches: ConditionPredicate;
}

interface TenantCache {
  generation: number;
  entries: Map<string, { rules: CompiledRule[]; loadedAt: number }>;
}

/**
 * Active rules by (tenant, entity, trigger type), compiled once, so matching an event costs the
 * same with 10 rules or 10 000. Invalidated per tenant through PostgreSQL LISTEN/NOTIFY, which
 * every gateway process receives; while the listener is down the cache is bypassed, and entries
 * also expire after a minute as a last line of defence.
 */
@Injectable()
export class RuleCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RuleCache.name);
  private readonly tenants = new Map<string, TenantCache>();
  private listener?: PgClient;
  private listening = false;
  private closed = false;
  private reconnect?: NodeJS.Timeout;
  static readonly TTL_MS = 60_000;

  constructor(
    private readonly db: DataSource,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.listen().catch((err: unknown) => this.scheduleReconnect(err));
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.reconnect) clearTimeout(this.reconnect);
    await this.listener?.end().catch(() => undefined);
  }

  /** Active rules of the tenant for this entity and trigger type, highest priority first. */
  async activeRules(tenantId: string, entity: string, triggerType: EventType): Promise<CompiledRule[]> {
    const key = `${entity}\u0000${triggerType}`;
    const tenant = this.tenant(tenantId);
    const hit = tenant.entries.get(key);
    if (this.listening && hit && Date.now() - hit.loadedAt < RuleCache.TTL_MS) return hit.rules;
    const generation = tenant.generation;
    const rows = await this.db.getRepository(RuleEntity).find({
      where: { tenantId, entity, triggerType, isActive: true },
      order: { priority: 'DESC', createdAt: 'ASC', id: 'ASC' },
    });
    const rules = rows.map((rule) => ({ rule, matches: compileSafely(rule) }));
    // A change notified while we were loading makes this result stale: do not keep it.
    if (this.listening && tenant.generation === generation) tenant.entries.set(key, { rules, loadedAt: Date.now() });
    return rules;
  }

  /** Forget a tenant's rules (called on every notification). */
  invalidate(tenantId: string): void {
    const tenant = this.tenant(tenantId);
    tenant.generation++;
    tenant.entries.clear();
  }

  private tenant(tenantId: string): TenantCache {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) {
      tenant = { generation: 0, entries: new Map() };
      this.tenants.set(tenantId, tenant);
    }
    return tenant;
  }

  private async listen(): Promise<void> {
    if (!this.config.database.url) return;
    const client = new PgClient({
      connectionString: this.config.database.url,
      application_name: 'ruleflow-rule-cache',
    });
    client.on('notification', (msg) => {
      if (msg.channel === RULES_CHANGED_CHANNEL && msg.payload) this.invalidate(msg.payload);
    });
    client.on('error', (err) => this.scheduleReconnect(err));
    client.on('end', () => this.scheduleReconnect(new Error('connection ended')));
    await client.connect();
    await client.query(`LISTEN ${RULES_CHANGED_CHANNEL}`);
    this.listener = client;
    // Anything cached before the listener was up may have missed a change.
    for (const id of this.tenants.keys()) this.invalidate(id);
    this.listening = true;
  }

  private scheduleReconnect(err: unknown): void {
    this.listening = false;
    if (this.closed || this.reconnect) return;
    this.logger.warn(`rule cache listener down (${(err as Error).message}); matching reads the database meanwhile`);
    const old = this.listener;
    this.listener = undefined;
    old?.removeAllListeners();
    void old?.end().catch(() => undefined);
    this.reconnect = setTimeout(() => {
      this.reconnect = undefined;
      this.listen().catch((e: unknown) => this.scheduleReconnect(e));
    }, 1000);
  }
}

function compileSafely(rule: RuleEntity): ConditionPredicate {
  try {
    const predicate = compileConditions(rule.conditions, { compileRegex });
    return (input) => {
      try {
        return predicate(input);
      } catch {
        return false;
      }
    };
  } catch {
    return () => false;
  }
}
