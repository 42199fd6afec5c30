import { DataSource } from 'typeorm';
import { asSystem } from './db-scope';
import { useScopedQueryRunners } from './scoped-query-runner';
import { AlertAcknowledgmentEntity } from './alert-acknowledgment.entity';
import { AlertRecipientEntity } from './alert-recipient.entity';
import { AlertEntity } from './alert.entity';
import { ApiKeyEntity } from './api-key.entity';
import { AuditLogEntity } from './audit-log.entity';
import { DeliveryEntity } from './delivery.entity';
import { EventEntity } from './event.entity';
import { ExecutionEntity } from './execution.entity';
import { InventoryAllocationEntity } from './inventory-allocation.entity';
import { InventoryItemEntity } from './inventory-item.entity';
import { IvrMenuEntity } from './ivr-menu.entity';
import { IvrSessionEntity } from './ivr-session.entity';
import { IvrLineEntity } from './ivr-line.entity';
import { InitialSchema1763769600000 } from './migrations/1763769600000-initial-schema';
import { RuleGraphAndTemplates1763856000000 } from './migrations/1763856000000-rule-graph-and-templates';
import { EntityCapture1763942400000 } from './migrations/1763942400000-entity-capture';
import { ApiKeyUsage1764115200000 } from './migrations/1764115200000-api-key-usage';
import { RowLevelSecurity1764201600001 } from './migrations/1764201600001-row-level-security';
import { WebhookEndpoints1764288000000 } from './migrations/1764288000000-webhook-endpoints';
import { DeliveryError1764288000001 } from './migrations/1764288000001-delivery-error';
import { CaptureGuard1764374400000 } from './migrations/1764374400000-capture-guard';
import { HookTokenHashes1764374400001 } from './migrations/1764374400001-hook-token-hashes';
import { IvrMenus1764460800000 } from './migrations/1764460800000-ivr-menus';
import { IvrSessions1764460800001 } from './migrations/1764460800001-ivr-sessions';
import { IvrLines1764460800002 } from './migrations/1764460800002-ivr-lines';
import { IvrCalls1764460800003 } from './migrations/1764460800003-ivr-calls';
import { EventSource1764547200000 } from './migrations/1764547200000-event-source';
import { AuditCaller1764547200001 } from './migrations/1764547200001-audit-caller';
import { ApiKeyRevocation1764547200002 } from './migrations/1764547200002-api-key-revocation';
import { RetentionIndexes1764547200010 } from './migrations/1764547200010-retention-indexes';
import { EndpointHeadersAndThrottle1764547200020 } from './migrations/1764547200020-endpoint-headers-and-throttle';
import { RuleOnFailure1764633600001 } from './migrations/1764633600001-rule-on-failure';
import { AuditLogs1764201600000 } from './migrations/1764201600000-audit-logs';
import { Alerts1764028800001 } from './migrations/1764028800001-alerts';
import { Inventory1764028800002 } from './migrations/1764028800002-inventory';
import { Notifications1764028800000 } from './migrations/1764028800000-notifications';
import { NotificationEntity } from './notification.entity';
import { RegisteredEntityEntity } from './registered-entity.entity';
import { ActionTemplateEntity } from './action-template.entity';
import { RuleDependencyEntity } from './rule-dependency.entity';
import { RuleVersionEntity } from './rule-version.entity';
import { RuleEntity } from './rule.entity';
import { TenantEntity } from './tenant.entity';
import { WebhookEntity } from './webhook.entity';

export const ENTITIES = [
  TenantEntity,
  ApiKeyEntity,
  RuleEntity,
  RuleVersionEntity,
  EventEntity,
  ExecutionEntity,
  DeliveryEntity,
  RuleDependencyEntity,
  ActionTemplateEntity,
  RegisteredEntityEntity,
  InventoryItemEntity,
  InventoryAllocationEntity,
  NotificationEntity,
  AlertEntity,
  AlertRecipientEntity,
  AlertAcknowledgmentEntity,
  AuditLogEntity,
  WebhookEntity,
  IvrMenuEntity,
  IvrSessionEntity,
  IvrLineEntity,
];

/** Committed migrations, in order. Listed explicitly so compiled and ts sources behave alike. */
export const MIGRATIONS = [
  InitialSchema1763769600000,
  RuleGraphAndTemplates1763856000000,
  EntityCapture1763942400000,
  Notifications1764028800000,
  Alerts1764028800001,
  Inventory1764028800002,
  ApiKeyUsage1764115200000,
  AuditLogs1764201600000,
  RowLevelSecurity1764201600001,
  WebhookEndpoints1764288000000,
  DeliveryError1764288000001,
  CaptureGuard1764374400000,
  HookTokenHashes1764374400001,
  IvrMenus1764460800000,
  IvrSessions1764460800001,
  IvrLines1764460800002,
  IvrCalls1764460800003,
  EventSource1764547200000,
  AuditCaller1764547200001,
  ApiKeyRevocation1764547200002,
  RetentionIndexes1764547200010,
  EndpointHeadersAndThrottle1764547200020,
  RuleOnFailure1764633600001,
];

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  applicationName?: string;
  /**
   * Declare the system scope for code that runs in no scope (db-scope.ts), instead of seeing no
   * tenant rows. Only for operator tools and test fixtures that arrange rows directly.
   */
  systemByDefault?: boolean;
}

/**
 * A TypeORM DataSource over PostgreSQL; schema changes only through migrations, never `synchronize`.
 * Every transaction it opens declares the current tenant scope for row-level security (db-scope.ts).
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  const ds = new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'ruleflow_migrations',
    synchronize: false,
    migrationsRun: false,
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? 'ruleflow',
    extra: { connectionTimeoutMillis: 10000 },
  });
  return useScopedQueryRunners(ds, options.systemByDefault ? { kind: 'system' } : undefined);
}

/** Apply pending migrations (each in its own transaction, under a lock so concurrent callers are safe). */
export async function runMigrations(url: string): Promise<string[]> {
  return asSystem(() => migrate(url));
}

async function migrate(url: string): Promise<string[]> {
  const ds = createDataSource({ url, poolSize: 1, applicationName: 'ruleflow-migrate' });
  await ds.initialize();
  try {
    // A session-level advisory lock: two processes starting at once do not race on the same migration.
    await ds.query('SELECT pg_advisory_lock(727172)');
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await ds.query('SELECT pg_advisory_unlock(727172)');
    }
  } finally {
    await ds.destroy();
  }
}

/**
 * Why row-level security would not apply to this connection's role (a superuser or BYPASSRLS role
 * skips every policy), or null when it does. The gateway and worker warn at start.
 */
export async function rowLevelSecurityBypass(ds: DataSource): Promise<string | null> {
  const rows: Array<{ role: string; rolsuper: boolean; rolbypassrls: boolean }> = await ds.query(
    `SELECT rolname AS role, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`,
  );
  const row = rows[0];
  if (!row) return null;
  if (row.rolsuper) return `the database role "${row.role}" is a superuser, which bypasses row-level security`;
  if (row.rolbypassrls) return `the database role "${row.role}" has BYPASSRLS, which bypasses row-level security`;
  return null;
}
