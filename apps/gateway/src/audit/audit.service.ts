import { Inject, Injectable } from '@nestjs/common';
import { AuditLogEntity } from '@ruleflow/entities';
import { DataSource } from 'typeorm';
import type { AuthContext } from '../auth/auth-context';
import type { Page } from '../common/pagination';
import { fetchPage } from '../common/pagination';
import type { AuditCaller, AuditRecord } from './audit-record';
import type { AuditLogDto, ListAuditLogsQueryDto } from './dto/audit-log.dto';

function toAuditLogDto(row: AuditLogEntity): AuditLogDto {
  return {
    id: row.id,
    action: row.action,
    resourceType: row.resourceType,
    resourceId: row.resourceId,
    apiKeyId: row.apiKeyId,
    details: row.details,
    ip: row.ip,
    userAgent: row.userAgent,
    createdAt: row.createdAt.toISOString(),
  };
}

@Injectable()
export class AuditService {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  /** Store one change, in the tenant of the key that made it, with where the request came from. */
  async record(auth: AuthContext, record: AuditRecord, caller: AuditCaller): Promise<void> {
    await this.db.getRepository(AuditLogEntity).insert({
      tenantId: auth.tenantId,
      apiKeyId: auth.apiKeyId,
      action: record.action,
      resourceType: record.resourceType,
      resourceId: record.resourceId,
      details: { ...record.details },
      ip: caller.ip,
      userAgent: caller.userAgent,
    });
  }

  /** The caller's tenant's changes, newest first. */
  list(auth: AuthContext, query: ListAuditLogsQueryDto): Promise<Page<AuditLogDto>> {
    return fetchPage(
      query,
      (skip, take) => {
        const qb = this.db
          .getRepository(AuditLogEntity)
          .createQueryBuilder('l')
          .where('l.tenant_id = :tenantId', { tenantId: auth.tenantId });
        if (query.resourceType) qb.andWhere('l.resource_type = :resourceType', { resourceType: query.resourceType });
        if (query.resourceId) qb.andWhere('l.resource_id = :resourceId', { resourceId: query.resourceId });
        if (query.action) qb.andWhere('l.action = :action', { action: query.action });
        if (query.apiKeyId) qb.andWhere('l.api_key_id = :apiKeyId', { apiKeyId: query.apiKeyId });
        if (query.since) qb.andWhere('l.created_at >= :since', { since: query.since });
        if (query.until) qb.andWhere('l.created_at < :until', { until: query.until });
        return qb.orderBy('l.created_at', 'DESC').addOrderBy('l.id', 'DESC').offset(skip).limit(take).getMany();
      },
      toAuditLogDto,
    );
  }
}
