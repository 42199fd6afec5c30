import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
// Relative, not '@ruleflow/rules': jest's globalSetup loads this file without the path aliases.
import { tryParseDuration } from '../../rules/src/duration';
import { z } from 'zod';

/**
 * The one place that reads process.env. Parsed once, validated, typed and defaulted;
 * a bad value fails fast with a message naming the variable.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = (def: number) => z.coerce.number().int().min(1).max(65535).default(def);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: port(3000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: optionalString,
  /**
   * Which proxies' `X-Forwarded-For` the gateway believes (Express `trust proxy`): the audit log's `ip`.
   * By default only proxies on loopback and private networks; `true` trusts any, `false` none, or a
   * comma-separated list of addresses, CIDR ranges and Express's names (`loopback`, `linklocal`, `uniquelocal`).
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .min(1)
    .max(1000)
    .regex(/^[0-9a-zA-Z.:/, ]+$/, 'TRUST_PROXY: true, false, or a comma-separated list of addresses, CIDRs and names')
    .default('loopback, linklocal, uniquelocal'),
  /** Twilio's REST API base URL (the `ivr_call` action's Calls requests); a local fake in tests. */
  TWILIO_API_URL: z.string().url().default('https://api.twilio.com'),

  RULEFLOW_DATA_DIR: z.string().default('./.ruleflow'),
  RULEFLOW_ADMIN_KEY: optionalString,
  RULEFLOW_ENCRYPTION_KEY: optionalString,
  RULEFLOW_PREVIOUS_ENCRYPTION_KEYS: optionalString,

  DATABASE_URL: optionalString,
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  EMBEDDED_PG_PORT: port(54329),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('ruleflow'),
  TEMPORAL_TLS: bool,
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  TEMPORAL_TLS_CA_PATH: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_UI_URL: optionalString,
  TEMPORAL_DEV_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  TEMPORAL_CLI_PATH: optionalString,

  WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool,
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120000).default(10000),
  /** Endpoint deliveries: delays before each retry (the last repeats), e.g. "5s,30s,2m,10m,30m,1h". */
  WEBHOOK_RETRY_SCHEDULE: optionalString,
  /** Endpoint deliveries: no attempt starts later than this after the first (default 24h). */
  WEBHOOK_RETRY_WINDOW: optionalString,
  /** ± fraction of each retry delay (default 0.2). */
  WEBHOOK_RETRY_JITTER: z.coerce.number().min(0).max(1).default(0.2),
  /** An endpoint whose deliveries have all failed for this long is disabled (default 5d). */
  WEBHOOK_CIRCUIT_BREAKER_AFTER: optionalString,

  /** Endpoint transforms (JSONata) run in a pool of sandbox processes with these limits per evaluation. */
  TRANSFORM_TIMEOUT_MS: z.coerce.number().int().min(50).max(60000).default(1000),
  TRANSFORM_MEMORY_MB: z.coerce.number().int().min(16).max(4096).default(64),
  TRANSFORM_POOL_SIZE: z.coerce.number().int().min(1).max(64).default(2),
  TRANSFORM_QUEUE_LIMIT: z.coerce.number().int().min(1).max(100000).default(100),

  SMTP_URL: optionalString,
  NOTIFY_SMS_URL: optionalString,
  NOTIFY_PUSH_URL: optionalString,
  NOTIFY_EMAIL_FROM: z.string().trim().min(1).default('ruleflow@localhost'),

  OUTBOX_POLL_MS: z.coerce.number().int().min(50).max(60000).default(1000),

  RETENTION_SUCCESS_DAYS: z.coerce.number().int().min(1).max(36500).default(30),
  RETENTION_FAILED_DAYS: z.coerce.number().int().min(1).max(36500).default(7),
  RETENTION_IVR_SESSION_DAYS: z.coerce.number().int().min(1).max(36500).default(30),
  RETENTION_DELIVERY_DAYS: z.coerce.number().int().min(1).max(36500).default(90),
  RETENTION_EVENT_DAYS: z.coerce.number().int().min(1).max(36500).default(30),
  RETENTION_NOTIFICATION_DAYS: z.coerce.number().int().min(1).max(36500).default(90),
  RETENTION_ALERT_DAYS: z.coerce.number().int().min(1).max(36500).default(90),
  RETENTION_AUDIT_LOG_DAYS: z.coerce.number().int().min(1).max(36500).default(365),
  RETENTION_API_KEY_USAGE_DAYS: z.coerce.number().int().min(1).max(36500).default(90),
  RETENTION_SCHEDULE_CRON: z
    .string()
    .trim()
    .default('15 3 * * *')
    .refine((v) => v.split(/\s+/).length === 5, 'must be a 5-field cron expression (minute hour day month weekday)'),

  /** The worker's Prometheus `/metrics` port (on HOST); 0 turns it off. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
});

export type RawEnv = z.input<typeof envSchema>;

/** Every variable the apps read (here and only here): deployment files are checked against it. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

export interface TemporalTlsConfig {
  certPath?: string;
  keyPath?: string;
  caPath?: string;
  serverName?: string;
}

export interface RuleflowConfig {
  env: 'development' | 'production' | 'test';
  logLevel: string;
  http: { port: number; host: string; publicUrl: string; trustProxy: boolean | string[] };
  dataDir: string;
  adminKey?: string;
  /**
   * AES-256-GCM keys for secrets at rest. `key` unset: outside production the embedded default in
   * `<dataDir>/encryption.key` (see resolveEncryptionKeys); in production the gateway and worker refuse to start.
   */
  encryption: { key?: Buffer; previousKeys: Buffer[] };
  database: { url?: string; poolSize: number; embeddedPort: number };
  temporal: {
    /** Unset means: the launcher starts a local dev server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    tls?: TemporalTlsConfig;
    apiKey?: string;
    uiUrl: string;
    devPort: number;
    uiPort: number;
    cliPath?: string;
  };
  webhooks: {
    allowPrivateNetworks: boolean;
    timeoutMs: number;
    /** The durable retry schedule of endpoint deliveries. */
    retry: { delaysMs: number[]; windowMs: number; jitter: number };
    circuitBreakerAfterMs: number;
  };
  /**
   * The sandbox endpoint transforms run in: this many processes, each evaluation within `timeoutMs`
   * (then killed) and `memoryMb` of heap; at most `queueLimit` waiting, more are retried later.
   */
  transforms: { poolSize: number; timeoutMs: number; memoryMb: number; queueLimit: number };
  /** Notification providers; an unset one makes `send_notification` on that channel fail naming the variable. */
  notifications: { smtpUrl?: string; smsUrl?: string; pushUrl?: string; emailFrom: string };
  /** Telephony providers (`ivr_call`). */
  telephony: { twilioApiUrl: string };
  outbox: { pollMs: number };
  /** How long ended executions are kept (days) and when the daily cleanup runs (cron, UTC). */
  retention: {
    successDays: number;
    failedDays: number;
    ivrSessionDays: number;
    /** Ended endpoint deliveries; events no execution refers to; notifications; resolved/dismissed alerts; audit logs; key usage counters. */
    deliveryDays: number;
    eventDays: number;
    notificationDays: number;
    alertDays: number;
    auditLogDays: number;
    apiKeyUsageDays: number;
    scheduleCron: string;
  };
  /** The worker's Prometheus endpoint (`GET /metrics` on host:port); port 0 means none. */
  workerMetrics: { host: string; port: number };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parse and validate an environment (defaults to process.env). Throws ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): RuleflowConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const tlsWanted = e.TEMPORAL_TLS || !!e.TEMPORAL_TLS_CERT_PATH || !!e.TEMPORAL_TLS_CA_PATH || !!e.TEMPORAL_API_KEY;
  if (!!e.TEMPORAL_TLS_CERT_PATH !== !!e.TEMPORAL_TLS_KEY_PATH) {
    throw new ConfigError('Invalid configuration: TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together');
  }
  const encryptionKey =
    e.RULEFLOW_ENCRYPTION_KEY === undefined
      ? undefined
      : parseEncryptionKey(e.RULEFLOW_ENCRYPTION_KEY, 'RULEFLOW_ENCRYPTION_KEY');
  const previousKeys = (e.RULEFLOW_PREVIOUS_ENCRYPTION_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '')
    .map((k, i) => parseEncryptionKey(k, `RULEFLOW_PREVIOUS_ENCRYPTION_KEYS (entry ${i + 1})`));
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    http: {
      port: e.PORT,
      host: e.HOST,
      publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
      trustProxy:
        e.TRUST_PROXY === 'true'
          ? true
          : e.TRUST_PROXY === 'false'
            ? false
            : e.TRUST_PROXY.split(',')
                .map((part) => part.trim())
                .filter(Boolean),
    },
    dataDir: path.resolve(e.RULEFLOW_DATA_DIR),
    adminKey: e.RULEFLOW_ADMIN_KEY,
    encryption: { key: encryptionKey, previousKeys },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE, embeddedPort: e.EMBEDDED_PG_PORT },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      tls: tlsWanted
        ? {
            certPath: e.TEMPORAL_TLS_CERT_PATH,
            keyPath: e.TEMPORAL_TLS_KEY_PATH,
            caPath: e.TEMPORAL_TLS_CA_PATH,
            serverName: e.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      apiKey: e.TEMPORAL_API_KEY,
      uiUrl: (e.TEMPORAL_UI_URL ?? `http://localhost:${e.TEMPORAL_UI_PORT}`).replace(/\/+$/, ''),
      devPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      cliPath: e.TEMPORAL_CLI_PATH,
    },
    webhooks: {
      allowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retry: {
        delaysMs: e.WEBHOOK_RETRY_SCHEDULE
          ? e.WEBHOOK_RETRY_SCHEDULE.split(',').map((d) => durationVar('WEBHOOK_RETRY_SCHEDULE', d))
          : [...DEFAULT_RETRY_DELAYS_MS],
        windowMs: e.WEBHOOK_RETRY_WINDOW
          ? durationVar('WEBHOOK_RETRY_WINDOW', e.WEBHOOK_RETRY_WINDOW)
          : DEFAULT_RETRY_WINDOW_MS,
        jitter: e.WEBHOOK_RETRY_JITTER,
      },
      circuitBreakerAfterMs: e.WEBHOOK_CIRCUIT_BREAKER_AFTER
        ? durationVar('WEBHOOK_CIRCUIT_BREAKER_AFTER', e.WEBHOOK_CIRCUIT_BREAKER_AFTER)
        : 5 * 24 * 3_600_000,
    },
    transforms: {
      poolSize: e.TRANSFORM_POOL_SIZE,
      timeoutMs: e.TRANSFORM_TIMEOUT_MS,
      memoryMb: e.TRANSFORM_MEMORY_MB,
      queueLimit: e.TRANSFORM_QUEUE_LIMIT,
    },
    telephony: { twilioApiUrl: e.TWILIO_API_URL.replace(/\/+$/, '') },
    notifications: {
      smtpUrl: e.SMTP_URL,
      smsUrl: e.NOTIFY_SMS_URL,
      pushUrl: e.NOTIFY_PUSH_URL,
      emailFrom: e.NOTIFY_EMAIL_FROM,
    },
    outbox: { pollMs: e.OUTBOX_POLL_MS },
    retention: {
      successDays: e.RETENTION_SUCCESS_DAYS,
      failedDays: e.RETENTION_FAILED_DAYS,
      ivrSessionDays: e.RETENTION_IVR_SESSION_DAYS,
      deliveryDays: e.RETENTION_DELIVERY_DAYS,
      eventDays: e.RETENTION_EVENT_DAYS,
      notificationDays: e.RETENTION_NOTIFICATION_DAYS,
      alertDays: e.RETENTION_ALERT_DAYS,
      auditLogDays: e.RETENTION_AUDIT_LOG_DAYS,
      apiKeyUsageDays: e.RETENTION_API_KEY_USAGE_DAYS,
      scheduleCron: e.RETENTION_SCHEDULE_CRON,
    },
    workerMetrics: { host: e.HOST, port: e.WORKER_METRICS_PORT },
  };
}

/** The contract's schedule for endpoint deliveries: about 5 s, 30 s, 2 m, 10 m, 30 m, 1 h, then hourly, for 24 h. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000];
export const DEFAULT_RETRY_WINDOW_MS = 24 * 3_600_000;

function durationVar(name: string, text: string): number {
  const ms = tryParseDuration(text.trim());
  if (ms === undefined || ms <= 0) {
    throw new ConfigError(`${name}: "${text.trim()}" is not a duration like 500ms, 30s, 5m, 1h or 2d`);
  }
  return ms;
}

/** A copy safe to log: secrets masked. */
export function maskConfig(config: RuleflowConfig): Record<string, unknown> {
  const mask = (v?: string) => (v ? `${v.slice(0, 3)}…(${v.length})` : undefined);
  return {
    ...config,
    adminKey: mask(config.adminKey),
    encryption: {
      key: config.encryption.key ? `key ${encryptionKeyId(config.encryption.key)}` : undefined,
      previousKeys: config.encryption.previousKeys.map((k) => `key ${encryptionKeyId(k)}`),
    },
    database: { ...config.database, url: config.database.url?.replace(/:\/\/([^:@/]+):([^@]+)@/, '://$1:***@') },
    temporal: { ...config.temporal, apiKey: mask(config.temporal.apiKey) },
    notifications: {
      ...config.notifications,
      smtpUrl: config.notifications.smtpUrl?.replace(/:\/\/([^:@/]+):([^@]+)@/, '://$1:***@'),
    },
  };
}

const ENCRYPTION_KEY_BYTES = 32;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * A 32-byte key given as 64 hex characters or as base64 (standard or url-safe). The error names
 * `name` and never echoes the value.
 */
export function parseEncryptionKey(value: string, name: string): Buffer {
  const text = value.trim();
  let key: Buffer | undefined;
  if (HEX_KEY.test(text)) key = Buffer.from(text, 'hex');
  else if (BASE64_KEY.test(text)) key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== ENCRYPTION_KEY_BYTES) {
    throw new ConfigError(
      `Invalid configuration: ${name}: must be ${ENCRYPTION_KEY_BYTES} bytes as base64 or 64 hex characters ` +
        '(generate one with `openssl rand -base64 32`)',
    );
  }
  return key;
}

/** The public id of an encryption key (first 8 hex chars of its SHA-256), as in sealed values. */
export function encryptionKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export interface EncryptionKeys {
  current: Buffer;
  previous: Buffer[];
  /** Where the current key comes from, for start-up messages. */
  source: string;
}

/**
 * The keys secrets at rest are sealed with: RULEFLOW_ENCRYPTION_KEY when set. Unset in production is
 * a ConfigError (the gateway and the worker refuse to start). Unset elsewhere: the embedded default,
 * generated once into `<dataDir>/encryption.key` (mode 0600) and reused, as `admin.key` is; the
 * launcher resolves it and hands it to the worker and the gateway so both use the same key.
 */
export function resolveEncryptionKeys(config: RuleflowConfig): EncryptionKeys {
  const previous = config.encryption.previousKeys;
  if (config.encryption.key) {
    return { current: config.encryption.key, previous, source: 'from RULEFLOW_ENCRYPTION_KEY' };
  }
  if (config.env === 'production') {
    throw new ConfigError(
      'Invalid configuration: RULEFLOW_ENCRYPTION_KEY is not set; production needs it to encrypt secrets at rest ' +
        '(32 bytes as base64 or hex, e.g. `openssl rand -base64 32`; keep it: secrets stored under it need it to be read)',
    );
  }
  const file = path.join(config.dataDir, 'encryption.key');
  const source = `kept in ${file}; set RULEFLOW_ENCRYPTION_KEY to choose your own`;
  const existing = readKeyFile(file);
  if (existing) return { current: existing, previous, source };
  mkdirSync(config.dataDir, { recursive: true });
  try {
    // wx: when the gateway and the worker start at once, exactly one creates it and both use that one.
    writeFileSync(file, `${randomBytes(ENCRYPTION_KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let created = readKeyFile(file);
  // The other process may have created the file but not written it yet.
  for (let i = 0; !created && i < 40; i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    created = readKeyFile(file);
  }
  if (!created)
    throw new ConfigError(`Invalid configuration: ${file} is empty; delete it or set RULEFLOW_ENCRYPTION_KEY`);
  return { current: created, previous, source };
}

function readKeyFile(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return text === '' ? undefined : parseEncryptionKey(text, file);
}
