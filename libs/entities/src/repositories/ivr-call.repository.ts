import type { DataSource } from 'typeorm';

export interface IvrCallReservation {
  /** True when this attempt made the reservation (nobody asked the provider yet). */
  fresh: boolean;
  /** The provider's call id, once a previous attempt recorded it. */
  callSid: string | null;
}

/** The outbound calls of `ivr_call` actions, by idempotency key (see migration 1764460800003). */
export interface IvrCallStore {
  reserve(
    tenantId: string,
    call: { executionId: string; idempotencyKey: string; lineId: string; to: string },
  ): Promise<IvrCallReservation>;
  recordCallSid(tenantId: string, idempotencyKey: string, callSid: string): Promise<void>;
  /** Drops a reservation whose request the provider refused (nothing was dialled): a retry may ask again. */
  release(tenantId: string, idempotencyKey: string): Promise<void>;
}

/** PostgreSQL implementation over `ivr_calls`. */
export class IvrCallRepository implements IvrCallStore {
  constructor(private readonly db: DataSource) {}

  async reserve(
    tenantId: string,
    call: { executionId: string; idempotencyKey: string; lineId: string; to: string },
  ): Promise<IvrCallReservation> {
    const inserted = (await this.db.query(
      `INSERT INTO ivr_calls (tenant_id, execution_id, idempotency_key, line_id, to_number)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING id`,
      [tenantId, call.executionId, call.idempotencyKey, call.lineId, call.to],
    )) as unknown[];
    if (inserted.length > 0) return { fresh: true, callSid: null };
    const rows = (await this.db.query(`SELECT call_sid FROM ivr_calls WHERE tenant_id = $1 AND idempotency_key = $2`, [
      tenantId,
      call.idempotencyKey,
    ])) as Array<{ call_sid: string | null }>;
    return { fresh: false, callSid: rows[0]?.call_sid ?? null };
  }

  async recordCallSid(tenantId: string, idempotencyKey: string, callSid: string): Promise<void> {
    await this.db.query(
      `UPDATE ivr_calls SET call_sid = $3, updated_at = now() WHERE tenant_id = $1 AND idempotency_key = $2`,
      [tenantId, idempotencyKey, callSid],
    );
  }

  async release(tenantId: string, idempotencyKey: string): Promise<void> {
    await this.db.query(`DELETE FROM ivr_calls WHERE tenant_id = $1 AND idempotency_key = $2 AND call_sid IS NULL`, [
      tenantId,
      idempotencyKey,
    ]);
  }
}
