import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { ApiKeyEntity, asSystem, inTenantScope, TenantEntity } from '@ruleflow/entities';
import { DataSource, QueryFailedError } from 'typeorm';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '../auth/api-key-codec';
import { DEFAULT_TENANT } from '../auth/api-keys.service';
import type { AuthContext } from '../auth/auth-context';
import type { PageQueryDto } from '../common/pagination';
import { fetchPage } from '../common/pagination';
import { isUuid } from '../common/uuid';
import type { CreateApiKeyDto, CreateTenantDto } from './dto/tenancy.dto';

const DAY_MS = 86_400_000;

/** An API key as listed: never the key itself. */
export function toApiKeyResponse(k: ApiKeyEntity) {
  return {
    id: k.id,
    name: k.name,
    tenantId: k.tenantId,
    prefix: k.prefix,
    scopes: k.scopes,
    expiresAt: k.expiresAt?.toISOString() ?? null,
    rateLimitPerHour: k.rateLimitPerHour,
    usageQuota: k.usageQuota,
    usageCount: k.usageCount,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    enabled: k.enabled,
    createdAt: k.createdAt.toISOString(),
  };
}

/** Tenants and their API keys. Only an admin key of the `default` tenant acts across tenants. */
@Injectable()
export class TenancyService {
  constructor(private readonly db: DataSource) {}

  async createTenant(auth: AuthContext, dto: CreateTenantDto) {
    await this.requireOperator(auth, 'only an admin key of the default tenant creates tenants');
    try {
      // The operator acts across tenants: a new tenant is outside its own row-level scope.
      const tenant = await asSystem(() => this.db.getRepository(TenantEntity).save({ name: dto.name }));
      return { id: tenant.id, name: tenant.name, createdAt: tenant.createdAt.toISOString() };
    } catch (err) {
      if (err instanceof QueryFailedError && (err as { code?: string }).code === '23505') {
        throw new ConflictException(`a tenant named "${dto.name}" already exists`);
      }
      throw err;
    }
  }

  /** A new key; the plaintext `key` is in this answer only (just its prefix and SHA-256 are stored). */
  async createKey(auth: AuthContext, dto: CreateApiKeyDto) {
    const tenantId = dto.tenantId ?? auth.tenantId;
    if (tenantId !== auth.tenantId) {
      await this.requireOperator(auth, 'only an admin key of the default tenant creates keys for other tenants');
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
    const { usageCount: _u, lastUsedAt: _l, enabled: _e, ...shown } = toApiKeyResponse(saved);
    return { ...shown, key };
  }

  async listKeys(auth: AuthContext, query: PageQueryDto) {
    return fetchPage(
      query,
      (skip, take) =>
        this.db
          .getRepository(ApiKeyEntity)
          .find({ where: { tenantId: auth.tenantId }, order: { createdAt: 'DESC', id: 'DESC' }, skip, take }),
      toApiKeyResponse,
    );
  }

  /** Revoke at once: the next request with this key gets a 401. */
  async revokeKey(auth: AuthContext, id: string): Promise<void> {
    const result = isUuid(id)
      ? await this.db.getRepository(ApiKeyEntity).update({ id, tenantId: auth.tenantId }, { enabled: false })
      : { affected: 0 };
    if (!result.affected) throw new NotFoundException(`API key ${id} not found`);
  }

  private async requireOperator(auth: AuthContext, message: string): Promise<void> {
    const tenant = await this.db.getRepository(TenantEntity).findOneBy({ id: auth.tenantId });
    if (tenant?.name !== DEFAULT_TENANT || !auth.scopes.includes('admin')) throw new ForbiddenException(message);
  }
}
