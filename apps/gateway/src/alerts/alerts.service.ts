import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { AlertStatus } from '@ruleflow/entities';
import { AlertAcknowledgmentEntity, AlertEntity, AlertRecipientEntity } from '@ruleflow/entities';
import type { EntityManager } from 'typeorm';
import { DataSource, In } from 'typeorm';
import type { AuthContext } from '../auth/auth-context';
import type { Page } from '../common/pagination';
import { decodeCursor, toPage } from '../common/pagination';
import { isUuid } from '../common/uuid';
import type { AcknowledgeAlertDto, ListAlertsQueryDto } from './dto/alert.dto';
import type { AlertResponse } from './alert.mapper';
import { effectiveAlertStatus, toAlertResponse } from './alert.mapper';

/** The status an alert reads in SQL: an active alert past its expiry is resolved. */
const EFFECTIVE_STATUS_SQL = `(CASE WHEN a.status = 'active' AND a.expires_at IS NOT NULL AND a.expires_at <= now()
  THEN 'resolved' ELSE a.status END)`;

/** Alerts may not leave these (an expired active alert reads resolved, so it may not either). */
const FINAL: ReadonlySet<AlertStatus> = new Set(['dismissed', 'resolved']);

type Transition = { to: 'acknowledged'; ack: AcknowledgeAlertDto } | { to: 'dismissed' | 'resolved' };

@Injectable()
export class AlertsService {
  constructor(private readonly db: DataSource) {}

  async list(auth: AuthContext, query: ListAlertsQueryDto): Promise<Page<AlertResponse>> {
    const limit = query.limit ?? 50;
    const offset = decodeCursor(query.cursor);
    const qb = this.db
      .getRepository(AlertEntity)
      .createQueryBuilder('a')
      .where('a.tenant_id = :tenantId', { tenantId: auth.tenantId });
    if (query.status) qb.andWhere(`${EFFECTIVE_STATUS_SQL} = :status`, { status: query.status });
    if (query.severity) qb.andWhere('a.severity = :severity', { severity: query.severity });
    if (query.recipientType || query.recipientId) {
      const conds = ['r.alert_id = a.id'];
      if (query.recipientType) conds.push('r.recipient_type = :recipientType');
      if (query.recipientId) conds.push('r.recipient_id = :recipientId');
      qb.andWhere(`EXISTS (SELECT 1 FROM alert_recipients r WHERE ${conds.join(' AND ')})`, {
        recipientType: query.recipientType,
        recipientId: query.recipientId,
      });
    }
    const rows = await qb
      .orderBy('a.created_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .offset(offset)
      .limit(limit + 1)
      .getMany();
    const shown = rows.slice(0, limit);
    const responses = await this.describe(this.db.manager, shown);
    return toPage(rows, offset, limit, (a) => responses.get(a.id)!);
  }

  async get(auth: AuthContext, id: string): Promise<AlertResponse> {
    const alert = await this.find(this.db.manager, auth, id);
    return (await this.describe(this.db.manager, [alert])).get(alert.id)!;
  }

  acknowledge(auth: AuthContext, id: string, dto: AcknowledgeAlertDto): Promise<AlertResponse> {
    return this.transition(auth, id, { to: 'acknowledged', ack: dto });
  }

  dismiss(auth: AuthContext, id: string): Promise<AlertResponse> {
    return this.transition(auth, id, { to: 'dismissed' });
  }

  resolve(auth: AuthContext, id: string): Promise<AlertResponse> {
    return this.transition(auth, id, { to: 'resolved' });
  }

  /**
   * Moves an alert under a row lock, so concurrent transitions are serialised and a 409 is judged on
   * the status the alert has when the change is made. Acknowledging an acknowledged alert records
   * another acknowledgment.
   */
  private transition(auth: AuthContext, id: string, t: Transition): Promise<AlertResponse> {
    return this.db.transaction(async (tx) => {
      const alert = await this.find(tx, auth, id, true);
      const current = effectiveAlertStatus(alert, await this.dbNow(tx));
      if (FINAL.has(current)) {
        throw new ConflictException(`alert ${id} is ${current}; it cannot be ${t.to} any more`);
      }
      if (t.to === 'acknowledged') {
        await tx.getRepository(AlertAcknowledgmentEntity).insert({
          alertId: alert.id,
          userId: t.ack.userId,
          notes: t.ack.notes ?? null,
        });
      }
      await tx.query(`UPDATE alerts SET status = $2, updated_at = now() WHERE id = $1`, [alert.id, t.to]);
      const updated = await this.find(tx, auth, id);
      return (await this.describe(tx, [updated])).get(updated.id)!;
    });
  }

  private async find(em: EntityManager, auth: AuthContext, id: string, lock = false): Promise<AlertEntity> {
    if (!isUuid(id)) throw new NotFoundException(`alert ${id} not found`);
    const qb = em
      .getRepository(AlertEntity)
      .createQueryBuilder('a')
      .where('a.id = :id AND a.tenant_id = :tenantId', { id, tenantId: auth.tenantId });
    if (lock) qb.setLock('pessimistic_write');
    const alert = await qb.getOne();
    if (!alert) throw new NotFoundException(`alert ${id} not found`);
    return alert;
  }

  /** The database's clock, the same one the list filter uses for expiry. */
  private async dbNow(em: EntityManager): Promise<Date> {
    const rows: Array<{ now: Date }> = await em.query('SELECT now() AS now');
    return rows[0]?.now ?? new Date();
  }

  private async describe(em: EntityManager, alerts: AlertEntity[]): Promise<Map<string, AlertResponse>> {
    const out = new Map<string, AlertResponse>();
    if (alerts.length === 0) return out;
    const ids = alerts.map((a) => a.id);
    const [recipients, acks, now] = await Promise.all([
      em.getRepository(AlertRecipientEntity).find({
        where: { alertId: In(ids) },
        order: { recipientType: 'ASC', recipientId: 'ASC' },
      }),
      em.getRepository(AlertAcknowledgmentEntity).find({
        where: { alertId: In(ids) },
        order: { acknowledgedAt: 'ASC', id: 'ASC' },
      }),
      this.dbNow(em),
    ]);
    for (const a of alerts) {
      out.set(
        a.id,
        toAlertResponse(
          a,
          recipients.filter((r) => r.alertId === a.id),
          acks.filter((k) => k.alertId === a.id),
          now,
        ),
      );
    }
    return out;
  }
}
