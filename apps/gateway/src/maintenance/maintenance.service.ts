import { ENDED_STATUSES } from '@ruleflow/contract';
import { Injectable } from '@nestjs/common';
import { ENDED_DELIVERY_STATUSES, RetentionRepository } from '@ruleflow/entities';
import { parseDuration } from '@ruleflow/rules';
import type { AuthContext } from '../auth/auth-context';
import type { CleanupExecutionsDto, CleanupResultDto } from './dto/cleanup.dto';

/** Operator maintenance of the caller's tenant; the same retention repository as the daily schedule. */
@Injectable()
export class MaintenanceService {
  constructor(private readonly retention: RetentionRepository) {}

  /**
   * Delete the tenant's ended executions (and their delivery logs) completed before now − olderThan,
   * and its endpoint deliveries that ended before then. `status` narrows both: `success` and
   * `failed` name delivery statuses too; `partial` and `cancelled` runs have no delivery counterpart.
   * Without `status`, the tenant's IVR sessions that ended before then go too.
   */
  async cleanup(auth: AuthContext, dto: CleanupExecutionsDto): Promise<CleanupResultDto> {
    const olderThanMs = parseDuration(dto.olderThan, 'olderThan');
    const before = new Date(Date.now() - olderThanMs);
    const result = await this.retention.deleteEnded({
      tenantId: auth.tenantId,
      statuses: dto.status ? [dto.status] : ENDED_STATUSES,
      completedBefore: before,
    });
    const endpoint = await this.retention.deleteEndedEndpointDeliveries({
      tenantId: auth.tenantId,
      statuses: dto.status ? ENDED_DELIVERY_STATUSES.filter((s) => s === dto.status) : ENDED_DELIVERY_STATUSES,
      endedBefore: before,
    });
    // A run status names no session state: sessions go only in a cleanup of everything ended.
    const ivr = dto.status
      ? { ivrSessions: 0 }
      : await this.retention.deleteEndedIvrSessions({ tenantId: auth.tenantId, endedBefore: before });
    return {
      deleted: result.executions,
      endpointDeliveries: endpoint.endpointDeliveries,
      ivrSessions: ivr.ivrSessions,
    };
  }
}
