import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { RegisteredEntityEntity } from '@ruleflow/entities';
import type { EntityManager } from 'typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import type { AuthContext } from '../auth/auth-context';
import { hasScope } from '../auth/scopes';
import type { PageQueryDto } from '../common/pagination';
import { fetchPage } from '../common/pagination';
import { isUuid } from '../common/uuid';
import type { RegisterEntityDto } from './dto/registered-entity.dto';

/**
 * Schemas PostgreSQL keeps for itself: every `pg_` name is reserved (pg_catalog, pg_toast, pg_temp_N,
 * pg_toast_temp_N), and information_schema. Compared case-insensitively: refusing a differently spelled
 * name that PostgreSQL would not even resolve costs nothing.
 */
const SYSTEM_SCHEMA = /^(pg_|information_schema$)/i;

/** The unique index that allows one capture per table across all tenants (migration 1764374400000). */
const ONE_CAPTURE_PER_TABLE = 'uq_registered_entities_captured_table';

/**
 * Whether the relation `$1` (an oid), or a table it is a partition or child of, is Ruleflow's own: a table
 * TypeORM maps or the migrations table (`$2`, quoted names resolved as our queries resolve them), or a
 * table under Ruleflow's row-level security policy (every tenant-owned table, migration 1764201600001).
 * Derived from the metadata and the catalog at each check, so a new table cannot be forgotten; the e2e
 * test that walks every table of a migrated database keeps the derivation honest.
 */
const IS_OWN_TABLE = `
  WITH RECURSIVE lineage AS (
    SELECT $1::oid AS rel
    UNION
    SELECT i.inhparent FROM pg_inherits i JOIN lineage l ON i.inhrelid = l.rel
  )
  SELECT EXISTS (
    SELECT 1 FROM lineage l
     WHERE l.rel IN (SELECT to_regclass(p)::oid FROM unnest($2::text[]) p)
        OR EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = l.rel AND p.polname = 'tenant_isolation')
  ) AS own`;

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

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
    // A capture reads every row written to the table, whoever writes it: an operator's decision.
    if (dto.capture && !hasScope(auth.scopes, 'admin')) {
      throw new ForbiddenException('API key lacks the scope "admin" (needed to register a capture)');
    }
    const schema = dto.schema ?? 'public';
    if (SYSTEM_SCHEMA.test(schema)) {
      throw new BadRequestException(`schema: "${schema}" is a system schema; its tables cannot be registered`);
    }
    if (dto.capture && dto.type !== 'table') {
      throw new BadRequestException('capture: change capture works on tables only (a view has no rows of its own)');
    }
    // Exact, case-sensitive names: what PostgreSQL resolves for the quoted identifiers the trigger uses.
    const found: Array<{ table_type: string; oid: number }> = await this.db.query(
      `SELECT table_type, format('%I.%I', table_schema, table_name)::regclass::oid AS oid
         FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2`,
      [schema, dto.name],
    );
    const actual = found[0]?.table_type;
    if (!actual)
      throw new BadRequestException(
        `name: there is no table or view ${schema}.${dto.name} in the application database`,
      );
    if (await this.isOwnTable(found[0]!.oid)) {
      throw new BadRequestException(`name: ${schema}.${dto.name} is one of Ruleflow's own tables`);
    }
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
        if ((err as { constraint?: string }).constraint === ONE_CAPTURE_PER_TABLE) {
          throw new ConflictException(`${schema}.${dto.name} is already captured (a table has one capture at most)`);
        }
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

  /** See IS_OWN_TABLE. */
  private async isOwnTable(oid: number): Promise<boolean> {
    const options = this.db.options as PostgresConnectionOptions;
    const path = (schema: string | undefined, name: string) =>
      schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name);
    const mapped = [
      ...this.db.entityMetadatas.map((m) => path(m.schema, m.tableName)),
      path(options.schema, options.migrationsTableName ?? 'migrations'),
    ];
    const rows: Array<{ own: boolean }> = await this.db.query(IS_OWN_TABLE, [oid, mapped]);
    return rows[0]?.own === true;
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
