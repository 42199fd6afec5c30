import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { ApiKeyEntity, asSystem, inTenantScope, TenantEntity } from '@ruleflow/entities';
import type { EntityManager } from 'typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '../auth/api-key-codec';
import { DEFAULT_TENANT } from '../auth/api-keys.service';
import type { AuthContext } from '../auth/auth-context';
import { KeyUsageCounter } from '../auth/key-usage-counter';
import type { PageQueryDto } from '../common/pagination';
import { fetchPage } from '../common/pagination';
import { isUuid } from '../common/uuid';
import type {
  ApiKeyDto,
  ApiKeyUsageDto,
  ApiKeyUsageQueryDto,
  CreateApiKeyDto,
  CreateTenantDto,
  ListApiKeysQueryDto,
  TenantDto,
  UpdateApiKeyDto,
} from './dto/tenancy.dto';

const DAY_MS = 86_400_000;
/** The advisory lock that serialises turning off the default tenant's admin keys. */
const OPERATOR_KEYS_LOCK = 727_173;
const OPERATOR_ONLY = 'only an admin key of the default tenant';
export const LAST_OPERATOR_KEY =
  'this is the last enabled admin key of the default tenant: disabling or revoking it would lock the operator ' +
  'out; create another admin key of the default tenant first';

/** An API key as listed: never the key itself. */
export function toApiKeyResponse(k: ApiKeyEntity): ApiKeyDto {
  return {
    id: k.id,
    name: k.name,
    tenantId: k.tenantId,
    prefix: k.prefix,
    scopes: k.scopes as ApiKeyDto['scopes'],
    expiresAt: k.expiresAt?.toISOString() ?? null,
    rateLimitPerHour: k.rateLimitPerHour,
    usageQuota: k.usageQuota,
    usageCount: k.usageCount,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    enabled: k.enabled,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    createdAt: k.createdAt.toISOString(),
  };
}

function toTenantDto(t: TenantEntity): TenantDto {
  return { id: t.id, name: t.name, createdAt: t.createdAt.toISOString() };
}

/**
 * Tenants and their API keys. Only the operator (an admin key of the `default` tenant) acts across
 * tenants: it creates tenants and their keys, lists every tenant, and lists, edits and revokes any
 * tenant's keys. Any other admin key manages its own tenant's keys; another tenant's key is a 404 to it.
 */
@Injectable()
export class TenancyService {
  constructor(
    private readonly db: DataSource,
    private readonly usage: KeyUsageCounter,
  ) {}

  async createTenant(auth: AuthContext, dto: CreateTenantDto) {
    await this.requireOperator(auth, `${OPERATOR_ONLY} creates tenants`);
    try {
      // The operator acts across tenants: a new tenant is outside its own row-level scope.
      const tenant = await asSystem(() => this.db.getRepository(TenantEntity).save({ name: dto.name }));
      return toTenantDto(tenant);
    } catch (err) {
      if (err instanceof QueryFailedError && (err as { code?: string }).code === '23505') {
        throw new ConflictException(`a tenant named "${dto.name}" already exists`);
      }
      throw err;
    }
  }

  /** Every tenant, oldest first (operator only). */
  async listTenants(auth: AuthContext, query: PageQueryDto) {
    await this.requireOperator(auth, `${OPERATOR_ONLY} lists tenants`);
    return asSystem(() =>
      fetchPage(
        query,
        (skip, take) =>
          this.db.getRepository(TenantEntity).find({ order: { createdAt: 'ASC', id: 'ASC' }, skip, take }),
        toTenantDto,
      ),
    );
  }

  /** A new key; the plaintext `key` is in this answer only (just its prefix and SHA-256 are stored). */
  async createKey(auth: AuthContext, dto: CreateApiKeyDto) {
    const tenantId = dto.tenantId ?? auth.tenantId;
    if (tenantId !== auth.tenantId) {
      await this.requireOperator(auth, `${OPERATOR_ONLY} creates keys for other tenants`);
    }
    // Authorised above: the key is written in its own tenant's scope (the operator's or another).
    return inTenantScope(tenantId, () => this.insertKey(tenantId, dto));
  }

  private async insertKey(tenantId: string, dto: CreateApiKeyDto) {
    if (!(await this.db.getRepository(TenantEntity).existsBy({ id: tenantId }))) {
      throw new NotFoundException(`tenant ${tenantId} not found`);
    }
    const key = generateApiKey();
    const saved = await this.db.getRepository(ApiKeyEntity).save({
      tenantId,
      name: dto.name,
      prefix: apiKeyPrefix(key),
      keyHash: hashApiKey(key),
      scopes: dto.scopes,
      expiresAt: dto.expiresInDays ? new Date(Date.now() + dto.expiresInDays * DAY_MS) : null,
      rateLimitPerHour: dto.rateLimitPerHour ?? null,
      usageQuota: dto.usageQuota ?? null,
    });
    const { usageCount: _u, lastUsedAt: _l, enabled: _e, revokedAt: _r, ...shown } = toApiKeyResponse(saved);
    return { ...shown, key };
  }

  /** The caller's tenant's keys, or (operator only) those of `tenantId`; newest first. */
  async listKeys(auth: AuthContext, query: ListApiKeysQueryDto) {
    await this.usage.flush(); // this process's latest counts, so a client sees its own requests
    const tenantId = query.tenantId ?? auth.tenantId;
    const list = () =>
      fetchPage(
        query,
        (skip, take) =>
          this.db
            .getRepository(ApiKeyEntity)
            .find({ where: { tenantId }, order: { createdAt: 'DESC', id: 'DESC' }, skip, take }),
        toApiKeyResponse,
      );
    if (tenantId === auth.tenantId) return list();
    await this.requireOperator(auth, `${OPERATOR_ONLY} lists other tenants' keys`);
    return asSystem(async () => {
      if (!(await this.db.getRepository(TenantEntity).existsBy({ id: tenantId }))) {
        throw new NotFoundException(`tenant ${tenantId} not found`);
      }
      return list();
    });
  }

  /** Rename a key, change its limits, disable or enable it. A revoked key cannot be changed (409). */
  async updateKey(auth: AuthContext, id: string, dto: UpdateApiKeyDto): Promise<ApiKeyDto> {
    return this.onKey(auth, id, async (tx, key) => {
      if (key.revokedAt) throw new ConflictException(`API key ${id} is revoked; create a new key instead`);
      if (dto.enabled === false && key.enabled) await this.refuseOperatorLockOut(tx, key);
      const changes: Partial<ApiKeyEntity> = {};
      if (dto.name !== undefined) changes.name = dto.name;
      if (dto.rateLimitPerHour !== undefined) changes.rateLimitPerHour = dto.rateLimitPerHour;
      if (dto.usageQuota !== undefined) changes.usageQuota = dto.usageQuota;
      if (dto.enabled !== undefined) changes.enabled = dto.enabled;
      if (Object.keys(changes).length > 0) await tx.getRepository(ApiKeyEntity).update({ id: key.id }, changes);
      return toApiKeyResponse(await tx.getRepository(ApiKeyEntity).findOneByOrFail({ id: key.id }));
    });
  }

  /** Revoke at once and for good: the next request with this key gets a 401. Revoking again is harmless. */
  async revokeKey(auth: AuthContext, id: string): Promise<void> {
    await this.onKey(auth, id, async (tx, key) => {
      if (key.revokedAt) return;
      if (key.enabled) await this.refuseOperatorLockOut(tx, key);
      await tx.getRepository(ApiKeyEntity).update({ id: key.id }, { enabled: false, revokedAt: () => 'now()' });
    });
  }

  /** Requests made with a key, per hour (UTC), oldest first; hours without a request are left out. */
  async keyUsage(auth: AuthContext, id: string, query: ApiKeyUsageQueryDto): Promise<ApiKeyUsageDto> {
    const since = query.since ? new Date(query.since) : new Date(Date.now() - DAY_MS);
    await this.usage.flush();
    return this.onKey(auth, id, async (tx, key) => {
      const rows: Array<{ hour: Date; count: number }> = await tx.query(
        `SELECT window_start AS hour, count FROM api_key_usage
          WHERE api_key_id = $1 AND window_start >= date_trunc('hour', $2::timestamptz)
          ORDER BY window_start`,
        [key.id, since.toISOString()],
      );
      return { items: rows.map((r) => ({ hour: new Date(r.hour).toISOString(), count: Number(r.count) })) };
    });
  }

  /**
   * Run `fn` on a key the caller may manage, locked for the transaction: a key of its own tenant, or
   * (operator) of any tenant. Anything else, a malformed id included, is the same 404.
   */
  private async onKey<T>(
    auth: AuthContext,
    id: string,
    fn: (tx: EntityManager, key: ApiKeyEntity) => Promise<T>,
  ): Promise<T> {
    const notFound = new NotFoundException(`API key ${id} not found`);
    if (!isUuid(id)) throw notFound;
    const operator = await this.isOperator(auth);
    const run = () =>
      this.db.transaction(async (tx) => {
        const key = await tx.getRepository(ApiKeyEntity).findOne({
          where: operator ? { id } : { id, tenantId: auth.tenantId },
          lock: { mode: 'pessimistic_write' },
        });
        if (!key) throw notFound;
        return fn(tx, key);
      });
    // The operator reaches across tenants, past its own row-level scope.
    return operator ? asSystem(run) : run();
  }

  /**
   * Refuse to turn off the last enabled, unexpired admin key of the `default` tenant: without one, no
   * request can manage tenants or keys, and only a restart with RULEFLOW_ADMIN_KEY would let the operator
   * back in. Serialised by a transaction-scoped advisory lock (taken after the key's own row lock, and
   * never while waiting on another key's row), so two requests turning off the last two cannot both pass.
   */
  private async refuseOperatorLockOut(tx: EntityManager, key: ApiKeyEntity): Promise<void> {
    if (!key.scopes.includes('admin')) return;
    await tx.query(`SELECT pg_advisory_xact_lock($1)`, [OPERATOR_KEYS_LOCK]);
    const operators: Array<{ id: string }> = await tx.query(
      `SELECT k.id FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
        WHERE t.name = $1 AND 'admin' = ANY(k.scopes) AND k.enabled AND k.revoked_at IS NULL
          AND (k.expires_at IS NULL OR k.expires_at > now())`,
      [DEFAULT_TENANT],
    );
    if (operators.length === 1 && operators[0]!.id === key.id) throw new ConflictException(LAST_OPERATOR_KEY);
  }

  private async isOperator(auth: AuthContext): Promise<boolean> {
    if (!auth.scopes.includes('admin')) return false;
    const tenant = await this.db.getRepository(TenantEntity).findOneBy({ id: auth.tenantId });
    return tenant?.name === DEFAULT_TENANT;
  }

  private async requireOperator(auth: AuthContext, message: string): Promise<void> {
    if (!(await this.isOperator(auth))) throw new ForbiddenException(message);
  }
}
