import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';

/**
 * An IVR session row as its workflow leaves it: ended `endedDaysAgo` days ago, or (null) still awaiting
 * input; started 90 days ago either way. For retention tests; the fixture connection must see every tenant.
 */
export async function insertIvrSessionRow(
  db: DataSource,
  tenantId: string,
  endedDaysAgo: number | null,
): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO ivr_sessions (id, tenant_id, call_id, root_menu_id, menu_id, workflow_id, state, started_at, ended_at)
     VALUES ($1, $2, $3, $4, $4, $5, $6, now() - interval '90 days',
             CASE WHEN $7::float8 IS NULL THEN NULL ELSE now() - ($7::float8 * interval '1 day') END)`,
    [
      id,
      tenantId,
      `call-${id}`,
      randomUUID(),
      `ivr-${id}`,
      endedDaysAgo === null ? 'awaiting_input' : 'ended',
      endedDaysAgo,
    ],
  );
  return id;
}

/** Whether an IVR session row exists. */
export async function ivrSessionRowExists(db: DataSource, id: string): Promise<boolean> {
  return ((await db.query(`SELECT 1 FROM ivr_sessions WHERE id = $1`, [id])) as unknown[]).length === 1;
}
