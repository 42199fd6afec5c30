import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import { ExecutionEntity } from '@ruleflow/entities';
import { DataSource } from 'typeorm';
import type { AuthContext } from '../auth/auth-context';
import { decodeCursor, toPage } from '../common/pagination';
import { RULEFLOW_CONFIG } from '../common/tokens';
import { isUuid } from '../common/uuid';
import type { ListExecutionsQueryDto } from './dto/execution.dto';
import { toExecutionResponse } from './execution.mapper';

@Injectable()
export class ExecutionsService {
  constructor(
    private readonly db: DataSource,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
  ) {}

  async list(auth: AuthContext, query: ListExecutionsQueryDto) {
    const limit = query.limit ?? 50;
    const offset = decodeCursor(query.cursor);
    const qb = this.db
      .getRepository(ExecutionEntity)
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId', { tenantId: auth.tenantId });
    if (query.ruleId) qb.andWhere('e.rule_id = :ruleId', { ruleId: query.ruleId });
    if (query.status) qb.andWhere('e.status = :status', { status: query.status });
    if (query.eventId) qb.andWhere('e.event_id = :eventId', { eventId: query.eventId });
    const rows = await qb
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.dispatch_order', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .offset(offset)
      .limit(limit + 1)
      .getMany();
    return toPage(rows, offset, limit, (e) => toExecutionResponse(this.config, e));
  }

  async get(auth: AuthContext, id: string) {
    const execution = isUuid(id)
      ? await this.db.getRepository(ExecutionEntity).findOneBy({ id, tenantId: auth.tenantId })
      : null;
    if (!execution) throw new NotFoundException(`execution ${id} not found`);
    return toExecutionResponse(this.config, execution);
  }
}
