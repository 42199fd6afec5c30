import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** `now() - ageDays` in SQL, for the `$n` holding ageDays. */
const ago = (param: string) => `now() - (${param}::float8 * interval '1 day')`;

/**
 * Rows of every table the retention sweeps, written straight to PostgreSQL already aged (`ageDays`
 * in the past by the clock each table is judged by), for retention tests. `db` must see every
 * tenant (a system-scoped data source).
 */
export function agedRows(db: DataSource) {
  const one = async (sql: string, params: unknown[]): Promise<string> =>
    ((await db.query(sql, params)) as Array<{ id: string }>)[0]!.id;
  return {
    /** An event received `ageDays` ago under `key`. */
    event: (tenantId: string, ageDays: number, key = `evt-${randomUUID()}`) =>
      one(
        `INSERT INTO events (tenant_id, event_key, entity, type, data, occurred_at, response, received_at)
         VALUES ($1, $2, 'orders', 'on_create', '{}', now(), '{}', ${ago('$3')}) RETURNING id`,
        [tenantId, key, ageDays],
      ),
    /** An execution that ran on event `eventKey` and ended (`status`) `ageDays` ago. */
    execution: (tenantId: string, status: string, ageDays: number, eventKey = 'e') => {
      const id = randomUUID();
      return one(
        `INSERT INTO executions (id, tenant_id, rule_id, rule_version, event_id, workflow_id, trigger_type, status,
                                 input, completed_at)
         VALUES ($1, $2, $3, 1, $4, $5, 'manual', $6, '{}'::jsonb, ${ago('$7')}) RETURNING id`,
        [id, tenantId, randomUUID(), eventKey, `rule-x-${id}`, status, ageDays],
      );
    },
    /** A delivery log of execution `executionId`. */
    deliveryLog: (tenantId: string, executionId: string) =>
      one(
        `INSERT INTO deliveries (id, tenant_id, execution_id, event_type, url) VALUES ($1, $2, $3, 'x.y', 'http://h')
         RETURNING id`,
        [randomUUID(), tenantId, executionId],
      ),
    /** An endpoint delivery in `status`, last written (ended) `ageDays` ago. */
    endpointDelivery: (tenantId: string, status: string, ageDays: number) => {
      const id = randomUUID();
      return one(
        `INSERT INTO deliveries (id, tenant_id, webhook_id, source, event_type, event_key, url, status, updated_at)
         VALUES ($1, $2, $3, 'endpoint', 'orders.on_update', $4, 'http://h', $5, ${ago('$6')}) RETURNING id`,
        [id, tenantId, randomUUID(), `evt-${id}`, status, ageDays],
      );
    },
    notification: (tenantId: string, ageDays: number) =>
      one(
        `INSERT INTO notifications (tenant_id, channel, recipient_id, status, body, idempotency_key, created_at)
         VALUES ($1, 'in_app', 'u1', 'sent', 'hello', $2, ${ago('$3')}) RETURNING id`,
        [tenantId, randomUUID(), ageDays],
      ),
    /** An alert in `status`, last changed `ageDays` ago, with a recipient and an acknowledgment. */
    alert: async (tenantId: string, status: string, ageDays: number) => {
      const id = await one(
        `INSERT INTO alerts (tenant_id, alert_type, severity, title, message, status, created_at, updated_at)
         VALUES ($1, 'stock', 'high', 't', 'm', $2, now() - interval '400 days', ${ago('$3')}) RETURNING id`,
        [tenantId, status, ageDays],
      );
      await db.query(
        `INSERT INTO alert_recipients (alert_id, recipient_type, recipient_id) VALUES ($1, 'user', 'u1')`,
        [id],
      );
      await db.query(`INSERT INTO alert_acknowledgments (alert_id, user_id) VALUES ($1, 'u1')`, [id]);
      return id;
    },
    auditLog: (tenantId: string, ageDays: number) =>
      one(
        `INSERT INTO audit_logs (tenant_id, action, resource_type, created_at)
         VALUES ($1, 'rule.created', 'rule', ${ago('$2')}) RETURNING id`,
        [tenantId, ageDays],
      ),
    /** A new API key of the tenant (for usage counters). */
    apiKey: (tenantId: string) =>
      one(
        `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes) VALUES ($1, 'k', 'rf_x', $2, '{}') RETURNING id`,
        [tenantId, randomUUID()],
      ),
    /** The usage counter of `apiKeyId` for the hour `ageDays` ago; its id is `<apiKeyId>@<window ISO>`. */
    apiKeyUsage: async (apiKeyId: string, ageDays: number) => {
      const rows: Array<{ w: Date }> = await db.query(
        `INSERT INTO api_key_usage (api_key_id, window_start, count)
         VALUES ($1, date_trunc('hour', ${ago('$2')}), 3) RETURNING window_start AS w`,
        [apiKeyId, ageDays],
      );
      return `${apiKeyId}@${rows[0]!.w.toISOString()}`;
    },
    /** Whether the row `id` (as the functions above return it) of `table` still exists. */
    exists: async (table: string, id: string): Promise<boolean> => {
      const rows: unknown[] =
        table === 'api_key_usage'
          ? await db.query(`SELECT 1 FROM api_key_usage WHERE api_key_id = $1 AND window_start = $2`, id.split('@'))
          : await db.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
      return rows.length === 1;
    },
    /** Rows of `table` in all. */
    count: async (table: string): Promise<number> =>
      ((await db.query(`SELECT count(*)::int AS n FROM ${table}`)) as Array<{ n: number }>)[0]!.n,
  };
}
export type AgedRows = ReturnType<typeof agedRows>;
