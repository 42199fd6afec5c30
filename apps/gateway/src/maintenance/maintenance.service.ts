import { Injectable } from '@nestjs/common';
import { ENDED_STATUSES, ExecutionRetentionService } from '@ruleflow/activities';
import { parseDuration } from '@ruleflow/rules';
import type { AuthContext } from '../auth/auth-context';
import type { CleanupExecutionsDto, CleanupResultDto } from './dto/cleanup.dto';

/** Operator maintenance of the caller's tenant; the same retention service as the daily schedule. */
@Injectable()
export class MaintenanceService {
  constructor(private readonly retention: ExecutionRetentionService) {}

  /** Delete the tenant's ended executions (and their delivery logs) completed before now − olderThan. */
  async cleanup(auth: AuthContext, dto: CleanupExecutionsDto): Promise<CleanupResultDto> {
    const olderThanMs = parseDuration(dto.olderThan, 'olderThan');
    const result = await this.retention.deleteEnded({
      tenantId: auth.tenantId,
      statuses: dto.status ? [dto.status] : ENDED_STATUSES,
      completedBefore: new Date(Date.now() - olderThanMs),
    });
    return { deleted: result.executions };
  }
}
