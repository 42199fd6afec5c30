import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { RegisteredEntityEntity } from '@ruleflow/entities';
import type { EntityManager } from 'typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import type { AuthContext } from '../auth/auth-context';
import type { PageQueryDto } from '../common/pagination';
import { fetchPage } from '../common/pagination';
import { isUuid } from '../common/uuid';
import type { RegisterEntityDto } from './dto/registered-entity.dto';

/** Ruleflow's own tables: capturing them would feed the engine its own writes. */
const OWN_TABLES = new Set<string>([
  'ruleflow_migrations',
  'captured_changes',
  'tenants',
  'api_keys',
  'rules',
  'rule_versions',
  'rule_dependencies',
  'events',
  'executions',
  'deliveries',
  'action_templates',
  'registered_entities',
]);

/** The public representation of a registered entity. */
export function toRegisteredEntityResponse(e: RegisteredEntityEntity) {
  return {
    id: e.id,
    name: e.name,
    schema: e.schemaName,
    type: e.type,
    capture: e.capture,
    createdAt: e.createdAt.toISOString(),
  };
}

/** The row trigger that captures a table's changes for one tenant. */
function triggerName(entityId: string): string {
  return `ruleflow_capture_${entityId.replace(/-/g, '')}`;
}

@Injectable()
export class RegisteredEntitiesService {
  constructor(private readonly db: DataSource) {}

  async register(auth: AuthContext, dto: RegisterEntityDto) {
    const schema = dto.schema ?? 'public';
    if (schema === 'public' && OWN_TABLES.has(dto.name)) {
      throw new BadRequestException(`name: "${dto.name}" is one of Ruleflow's own tables`);
    }
    if (dto.capture && dto.type !== 'table') {
      throw new BadRequestException('capture: change capture works on tables only (a view has no rows of its own)');
    }
    const found: Array<{ table_type: string }> = await this.db.query(
      `SELECT table_type FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2`,
      [schema, dto.name],
    );
    const actual = found[0]?.table_type;
    if (!actual)
      throw new BadRequestException(
        `name: there is no table or view ${schema}.${dto.name} in the application database`,
      );
    const actualType = actual === 'VIEW' ? 'view' : 'table';
    if (actualType !== dto.type) {
      throw new BadRequestException(`type: ${schema}.${dto.name} is a ${actualType}, not a ${dto.type}`);
    }
    try {
      const saved = await this.db.transaction(async (tx) => {
        const repo = tx.getRepository(RegisteredEntityEntity);
        const entity = await repo.save(
          repo.create({
            tenantId: auth.tenantId,
            name: dto.name,
            schemaName: schema,
            type: dto.type,
            capture: dto.capture ?? false,
          }),
        );
        if (entity.capture) await this.createTrigger(tx, entity);
        return entity;
      });
      return toRegisteredEntityResponse(saved);
    } catch (err) {
      if (err instanceof QueryFailedError && (err as { code?: string }).code === '23505') {
        throw new ConflictException(`${schema}.${dto.name} is already registered`);
      }
      if (err instanceof QueryFailedError && (err as { code?: string }).code === '42501') {
        throw new BadRequestException(`name: Ruleflow's database role may not add a trigger to ${schema}.${dto.name}`);
      }
      throw err;
    }
  }

  async list(auth: AuthContext, query: PageQueryDto) {
    return fetchPage(
      query,
      (skip, take) =>
        this.db.getRepository(RegisteredEntityEntity).find({
          where: { tenantId: auth.tenantId },
          order: { schemaName: 'ASC', name: 'ASC' },
          skip,
          take,
        }),
      toRegisteredEntityResponse,
    );
  }

  async get(auth: AuthContext, id: string) {
    return toRegisteredEntityResponse(await this.find(this.db.manager, auth, id));
  }

  /** Unregister; a captured table loses its trigger in the same transaction. */
  async remove(auth: AuthContext, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const entity = await this.find(tx, auth, id);
      if (entity.capture) {
        await tx.query(`DROP TRIGGER IF EXISTS ${triggerName(entity.id)} ON "${entity.schemaName}"."${entity.name}"`);
      }
      await tx.getRepository(RegisteredEntityEntity).delete({ id: entity.id, tenantId: auth.tenantId });
    });
  }

  private async createTrigger(tx: EntityManager, e: RegisteredEntityEntity): Promise<void> {
    // Identifiers were validated as plain SQL identifiers and the tenant id is a UUID from our own row,
    // so quoting is enough here (DDL takes no bind parameters).
    await tx.query(
      `CREATE TRIGGER ${triggerName(e.id)} AFTER INSERT OR UPDATE OR DELETE ON "${e.schemaName}"."${e.name}"
         FOR EACH ROW EXECUTE FUNCTION ruleflow_capture_row('${e.tenantId}', '${e.name}')`,
    );
  }

  private async find(em: EntityManager, auth: AuthContext, id: string): Promise<RegisteredEntityEntity> {
    const found = isUuid(id)
      ? await em.getRepository(RegisteredEntityEntity).findOneBy({ id, tenantId: auth.tenantId })
      : null;
    if (!found) throw new NotFoundException(`entity ${id} not found`);
    return found;
  }
}
