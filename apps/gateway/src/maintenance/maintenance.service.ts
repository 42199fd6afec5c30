import { ENDED_STATUSES } from '@ruleflow/contract';
import { Injectable } from '@nestjs/common';
import type { SweptTable } from '@ruleflow/entities';
import { ENDED_DELIVERY_STATUSES, emptyRetentionTableCounts, RetentionRepository } from '@ruleflow/entities';
import { parseDuration } from '@ruleflow/rules';
import type { AuthContext } from '../auth/auth-context';
import type { CleanupExecutionsDto, CleanupResultDto, CleanupTablesDto } from './dto/cleanup.dto';

/**
 * What a tenant's cleanup sweeps besides runs, deliveries and IVR sessions. Never audit logs: an
 * admin key must not be able to erase the record of what it did (the daily retention removes them
 * after RETENTION_AUDIT_LOG_DAYS).
 */
const TENANT_SWEPT_TABLES: readonly SweptTable[] = ['events', 'notifications', 'alerts', 'api_key_usage'];

/** Operator maintenance of the caller's tenant; the same retention repository as the daily schedule. */
@Injectable()
export class MaintenanceService {
  constructor(private readonly retention: RetentionRepository) {}

  /**
   * Delete the tenant's ended executions (and their delivery logs) completed before now − olderThan,
   * and its endpoint deliveries that ended before then. `status` narrows both: `success` and
   * `failed` name delivery statuses too; `partial` and `cancelled` runs have no delivery counterpart.
   * Without `status`, the tenant's IVR sessions that ended before then go too, and so do its events
   * no remaining run refers to, notifications, resolved or dismissed alerts and key usage counters.
   */
  async cleanup(auth: AuthContext, dto: CleanupExecutionsDto): Promise<CleanupResultDto> {
    const olderThanMs = parseDuration(dto.olderThan, 'olderThan');
    const before = new Date(Date.now() - olderThanMs);
    const tenantId = auth.tenantId;
    const tables: CleanupTablesDto = emptyRetentionTableCounts();
    const result = await this.retention.deleteEnded({
      tenantId,
      statuses: dto.status ? [dto.status] : ENDED_STATUSES,
      completedBefore: before,
    });
    const endpoint = await this.retention.deleteEndedEndpointDeliveries({
      tenantId,
      statuses: dto.status ? ENDED_DELIVERY_STATUSES.filter((s) => s === dto.status) : ENDED_DELIVERY_STATUSES,
      endedBefore: before,
    });
    tables.executions = result.executions;
    tables.deliveries = result.deliveries + endpoint.endpointDeliveries;
    // A run status names nothing else: the rest goes only in a cleanup of everything ended.
    if (!dto.status) {
      tables.ivr_sessions = (
        await this.retention.deleteEndedIvrSessions({ tenantId, endedBefore: before })
      ).ivrSessions;
      // Events after the runs: a run deleted just above no longer keeps its event.
      for (const table of TENANT_SWEPT_TABLES)
        tables[table] = await this.retention.deleteOld(table, { before, tenantId });
    }
    return {
      deleted: result.executions,
      endpointDeliveries: endpoint.endpointDeliveries,
      ivrSessions: tables.ivr_sessions,
      tables,
    };
  }
}
