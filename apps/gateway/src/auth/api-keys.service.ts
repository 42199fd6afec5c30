import { constantTimeEqual } from '@ruleflow/rules/node/bearer-token';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import { ApiKeyEntity, TenantEntity } from '@ruleflow/entities';
import { DataSource } from 'typeorm';
import { RULEFLOW_CONFIG } from '../common/tokens';
import { apiKeyPrefix, hashApiKey } from './api-key-codec';
import { KeyUsageCounter } from './key-usage-counter';
import type { AuthContext } from './auth-context';

export const DEFAULT_TENANT = 'default';

export { generateApiKey, hashApiKey } from './api-key-codec';

export type KeyCheck =
  { ok: true; auth: AuthContext } | { ok: false; status: 401 | 429; reason: string; retryAfterSeconds?: number };

/** The one 401 for a key that is malformed, unknown, revoked or expired: the answer tells them apart for nobody. */
export const INVALID_API_KEY = 'invalid API key';

/** A quota does not renew; clients are told to come back in a day (an operator raises it meanwhile). */
const QUOTA_RETRY_AFTER_SECONDS = 86_400;

@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(
    private readonly db: DataSource,
    private readonly usage: KeyUsageCounter,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
  ) {}

  /**
   * Resolve a presented key: unknown, disabled, revoked and expired keys are refused alike (read on every
   * request, so a key disabled or revoked a moment ago is refused at once). Usage is counted.
   */
  async authenticate(presented: string): Promise<KeyCheck> {
    const refused: KeyCheck = { ok: false, status: 401, reason: INVALID_API_KEY };
    if (!presented.startsWith('rf_') || presented.length > 200) return refused;
    const hash = hashApiKey(presented);
    const key = await this.db.getRepository(ApiKeyEntity).findOne({ where: { keyHash: hash } });
    // The lookup is by hash; the constant-time compare guards against any index/collation surprise.
    if (!key || !constantTimeEqual(key.keyHash, hash)) return refused;
    if (!key.enabled || (key.expiresAt && key.expiresAt.getTime() <= Date.now())) return refused;
    const ok: KeyCheck = { ok: true, auth: { apiKeyId: key.id, tenantId: key.tenantId, scopes: key.scopes } };
    // Without a limit nothing depends on the exact count now: counted in the background, in batches.
    if (key.rateLimitPerHour === null && key.usageQuota === null) {
      this.usage.count(key.id);
      return ok;
    }
    // One statement per request: the hourly counter (which `GET /v1/api-keys/:id/usage` reports and the
    // rate limit reads; a fixed window in PostgreSQL, so every gateway process sees the same count) and,
    // when the request is within the rate limit, the key's usage count, only while under its quota (so
    // concurrent requests cannot overshoot it).
    const rows: Array<{ count: number; retry_after: number; counted: boolean }> = await this.db.query(
      `WITH hour AS (
         INSERT INTO api_key_usage (api_key_id, window_start, count) VALUES ($1, date_trunc('hour', now()), 1)
         ON CONFLICT (api_key_id, window_start) DO UPDATE SET count = api_key_usage.count + 1
         RETURNING count, GREATEST(1, ceil(extract(epoch FROM (window_start + interval '1 hour' - now()))))::int AS retry_after
       ), counted AS (
         UPDATE api_keys SET usage_count = usage_count + 1, last_used_at = now()
          WHERE id = $1 AND (usage_quota IS NULL OR usage_count < usage_quota)
            AND ($2::int IS NULL OR (SELECT count FROM hour) <= $2::int)
          RETURNING id
       )
       SELECT hour.count, hour.retry_after, EXISTS (SELECT 1 FROM counted) AS counted FROM hour`,
      [key.id, key.rateLimitPerHour],
    );
    const window = rows[0]!;
    if (key.rateLimitPerHour !== null && window.count > key.rateLimitPerHour) {
      return {
        ok: false,
        status: 429,
        reason: `rate limit of ${key.rateLimitPerHour} requests per hour exceeded`,
        retryAfterSeconds: window.retry_after,
      };
    }
    if (!window.counted) {
      return {
        ok: false,
        status: 429,
        reason: `usage quota of ${key.usageQuota} requests is used up`,
        retryAfterSeconds: QUOTA_RETRY_AFTER_SECONDS,
      };
    }
    return ok;
  }

  /** The `default` tenant, created when missing. */
  async ensureDefaultTenant(): Promise<TenantEntity> {
    await this.db.query(`INSERT INTO tenants (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [DEFAULT_TENANT]);
    return this.db.getRepository(TenantEntity).findOneByOrFail({ name: DEFAULT_TENANT });
  }

  /** Guarantee RULEFLOW_ADMIN_KEY exists as an enabled admin key of the `default` tenant. */
  async bootstrapAdminKey(): Promise<void> {
    const tenant = await this.ensureDefaultTenant();
    const key = this.config.adminKey;
    if (!key) return;
    if (!key.startsWith('rf_') || key.length < 20) {
      throw new Error('RULEFLOW_ADMIN_KEY must start with "rf_" and be at least 20 characters long');
    }
    await this.db.query(
      `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes, enabled)
       VALUES ($1, 'admin (RULEFLOW_ADMIN_KEY)', $2, $3, '{admin}', true)
       ON CONFLICT (key_hash) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, scopes = '{admin}', enabled = true,
         expires_at = NULL, revoked_at = NULL`,
      [tenant.id, apiKeyPrefix(key), hashApiKey(key)],
    );
    this.logger.log('RULEFLOW_ADMIN_KEY is an admin key of the default tenant');
  }
}
