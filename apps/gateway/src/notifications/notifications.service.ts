import { Injectable, NotFoundException } from '@nestjs/common';
import { NotificationEntity } from '@ruleflow/entities';
import type { NotificationStatus } from '@ruleflow/entities';
import { DataSource } from 'typeorm';
import type { AuthContext } from '../auth/auth-context';
import { decodeCursor, toPage } from '../common/pagination';
import { isUuid } from '../common/uuid';
import type { InboxQueryDto, ListNotificationsQueryDto, NotificationReceiptDto } from './dto/notification.dto';

/**
 * Where a delivery stands, for receipts: `pending` < `retrying` < `sent` < {`delivered`, `bounced`, `failed`}.
 * A receipt only moves a delivery forward, and the three outcomes are final: `delivered` stays delivered,
 * and a receipt for a delivery already `failed` or `bounced` keeps it as it is (answered 200, unchanged).
 */
const STATUS_RANK: Record<NotificationStatus, number> = {
  pending: 0,
  retrying: 1,
  sent: 2,
  delivered: 3,
  bounced: 3,
  failed: 3,
};

/** The contract's notification shape. */
export function toNotificationResponse(n: NotificationEntity) {
  return {
    id: n.id,
    executionId: n.executionId,
    ruleId: n.ruleId,
    actionName: n.actionName,
    channel: n.channel,
    recipientId: n.recipientId,
    status: n.status,
    attempts: n.attempts,
    sentAt: n.sentAt?.toISOString() ?? null,
    deliveredAt: n.deliveredAt?.toISOString() ?? null,
    failedAt: n.failedAt?.toISOString() ?? null,
    error: n.error,
    providerResponse: n.providerResponse ?? null,
    subject: n.subject,
    body: n.body,
    data: n.data ?? null,
    readAt: n.readAt?.toISOString() ?? null,
    createdAt: n.createdAt.toISOString(),
  };
}

@Injectable()
export class NotificationsService {
  constructor(private readonly db: DataSource) {}

  async list(auth: AuthContext, query: ListNotificationsQueryDto) {
    const limit = query.limit ?? 50;
    const offset = decodeCursor(query.cursor);
    const qb = this.db
      .getRepository(NotificationEntity)
      .createQueryBuilder('n')
      .where('n.tenant_id = :tenantId', { tenantId: auth.tenantId });
    if (query.status) qb.andWhere('n.status = :status', { status: query.status });
    if (query.channel) qb.andWhere('n.channel = :channel', { channel: query.channel });
    if (query.recipientId) qb.andWhere('n.recipient_id = :recipientId', { recipientId: query.recipientId });
    const rows = await qb
      .orderBy('n.created_at', 'DESC')
      .addOrderBy('n.id', 'DESC')
      .offset(offset)
      .limit(limit + 1)
      .getMany();
    return toPage(rows, offset, limit, toNotificationResponse);
  }

  /** Applies a provider receipt; never moves a delivery backwards (see {@link STATUS_RANK}). */
  async receipt(auth: AuthContext, id: string, dto: NotificationReceiptDto) {
    return this.db.transaction(async (m) => {
      const repo = m.getRepository(NotificationEntity);
      const found = isUuid(id)
        ? await repo.findOne({ where: { id, tenantId: auth.tenantId }, lock: { mode: 'pessimistic_write' } })
        : null;
      if (!found) throw new NotFoundException(`notification ${id} not found`);
      if (STATUS_RANK[dto.status] > STATUS_RANK[found.status]) {
        const now = new Date();
        found.status = dto.status;
        if (dto.status === 'delivered') found.deliveredAt = now;
        else found.failedAt = now;
        if (dto.providerResponse !== undefined) found.providerResponse = dto.providerResponse;
        await repo.save(found);
      }
      return toNotificationResponse(found);
    });
  }

  async inbox(auth: AuthContext, recipientId: string, query: InboxQueryDto) {
    const limit = query.limit ?? 50;
    const offset = decodeCursor(query.cursor);
    const qb = this.db
      .getRepository(NotificationEntity)
      .createQueryBuilder('n')
      .where('n.tenant_id = :tenantId', { tenantId: auth.tenantId })
      .andWhere('n.recipient_id = :recipientId', { recipientId })
      .andWhere("n.channel = 'in_app'");
    if (query.unread === true) qb.andWhere('n.read_at IS NULL');
    if (query.unread === false) qb.andWhere('n.read_at IS NOT NULL');
    const rows = await qb
      .orderBy('n.created_at', 'DESC')
      .addOrderBy('n.id', 'DESC')
      .offset(offset)
      .limit(limit + 1)
      .getMany();
    return toPage(rows, offset, limit, toNotificationResponse);
  }

  /** Marks an in-app notification read (idempotent: the first read time is kept). */
  async markRead(auth: AuthContext, recipientId: string, id: string) {
    const repo = this.db.getRepository(NotificationEntity);
    const found = isUuid(id)
      ? await repo.findOne({ where: { id, tenantId: auth.tenantId, recipientId, channel: 'in_app' } })
      : null;
    if (!found) throw new NotFoundException(`notification ${id} not found in the inbox of ${recipientId}`);
    if (!found.readAt) {
      await repo
        .createQueryBuilder()
        .update()
        .set({ readAt: () => 'coalesce(read_at, now())' })
        .where('id = :id', { id })
        .execute();
      const updated = await repo.findOneByOrFail({ id });
      return toNotificationResponse(updated);
    }
    return toNotificationResponse(found);
  }
}
