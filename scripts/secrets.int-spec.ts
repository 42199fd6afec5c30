/**
 * `npm run secrets -- reseal`: the CLI as a child process against a test database seeded with
 * secrets sealed under an old key (A), plaintext legacy values and a value under an unknown key.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSecretBox, keyIdOf, sealedKeyId } from '@ruleflow/rules/node/secret-box';
import { insertTenants, openTestDataSource, writeTsRegister } from '@ruleflow/testing';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { applyPlan, planRow, rowById, TABLES } from './secrets';

const ROOT = path.resolve(__dirname, '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const keyUnknown = randomBytes(32);
const boxA = createSecretBox({ current: keyA, previous: [] });
const boxBOnly = createSecretBox({ current: keyB, previous: [] });
const boxUnknown = createSecretBox({ current: keyUnknown, previous: [] });
const idA = keyIdOf(keyA);
const idB = keyIdOf(keyB);
const idUnknown = keyIdOf(keyUnknown);

const PLAIN = {
  ruleSecret: 'whsec_rule_secret_0123456789abcdef',
  ruleAuth: 'Bearer rule-token-abc',
  legacyApiKey: 'legacy-plaintext-api-key',
  unknownSecret: 'whsec_under_a_lost_key',
  otherAuth: 'Bearer tenant-two-token',
  templateAuth: 'Bearer template-token',
  execSecret: 'whsec_exec_snapshot_secret',
  webhookSecret: 'whsec_endpoint_current',
  webhookPrevious: 'whsec_endpoint_previous',
  webhookLegacy: 'whsec_endpoint_legacy_plaintext',
  bulk: 'whsec_bulk_endpoint',
};
const BULK_WEBHOOKS = 510; // more than one batch of 500

function webhookAction(config: Record<string, unknown>, name = 'notify') {
  return { name, type: 'webhook', config: { url: 'https://example.com/hook', method: 'POST', ...config } };
}

describe('npm run secrets -- reseal (CLI)', () => {
  let fixture: Awaited<ReturnType<typeof openTestDataSource>>;
  let db: DataSource;
  let tmpDir: string;
  let register: string;
  const ids = {} as Record<'rule1' | 'rule2' | 'version' | 'template' | 'execution' | 'webhook1' | 'webhook2', string>;
  // A large JSON number must survive: only the secret strings are rewritten.
  const BIG = '12345678901234567890123';

  beforeAll(async () => {
    tmpDir = mkdtempSync(path.join(os.tmpdir(), 'ruleflow-secrets-'));
    register = writeTsRegister(tmpDir);
    fixture = await openTestDataSource('ruleflow-secrets-test');
    db = fixture.db;
    const [t1, t2] = await insertTenants(db, 2);

    const rule1Actions = [
      webhookAction({
        secret: boxA.encrypt(PLAIN.ruleSecret),
        headers: {
          Authorization: boxA.encrypt(PLAIN.ruleAuth),
          'X-API-Key': PLAIN.legacyApiKey, // stored before encryption existed
          'X-Trace': 'not-a-secret',
          'X-Token': 'Bearer {{ data.token }}', // a template: never sealed
        },
      }),
      { name: 'alert', type: 'create_alert', config: { title: 'x', severity: 'low' } },
    ];
    const rule2Actions = [
      webhookAction({
        secret: boxUnknown.encrypt(PLAIN.unknownSecret),
        headers: { Authorization: boxA.encrypt(PLAIN.otherAuth) },
      }),
    ];
    const insertRule = async (tenant: string, name: string, actions: unknown) =>
      (
        (await db.query(
          `INSERT INTO rules (tenant_id, name, entity, trigger_type, trigger, conditions, actions)
           VALUES ($1, $2, 'orders', 'on_create', '{}', '{"all":[]}', $3) RETURNING id`,
          [tenant, name, JSON.stringify(actions)],
        )) as Array<{ id: string }>
      )[0]!.id;
    ids.rule1 = await insertRule(t1!, 'rule one', rule1Actions);
    ids.rule2 = await insertRule(t2!, 'rule two', rule2Actions);

    ids.version = (
      (await db.query(
        `INSERT INTO rule_versions (tenant_id, rule_id, version, rule) VALUES ($1, $2, 1, $3) RETURNING id`,
        [t1, ids.rule1, JSON.stringify({ id: ids.rule1, name: 'rule one', actions: rule1Actions })],
      )) as Array<{ id: string }>
    )[0]!.id;

    ids.template = (
      (await db.query(
        `INSERT INTO action_templates (tenant_id, name, action_type, default_config) VALUES ($1, 'tmpl', 'webhook', $2) RETURNING id`,
        [
          t2,
          JSON.stringify({
            url: 'https://example.com/t',
            headers: { Authorization: boxA.encrypt(PLAIN.templateAuth) },
          }),
        ],
      )) as Array<{ id: string }>
    )[0]!.id;

    const input = {
      executionId: randomUUID(),
      rule: {
        id: ids.rule1,
        tenantId: t1,
        name: 'rule one',
        version: 1,
        entity: 'orders',
        triggerType: 'on_create',
        conditions: { all: [] },
        actions: [
          { ...webhookAction({ secret: boxA.encrypt(PLAIN.execSecret) }), retry: { maxAttempts: 3 } },
          { name: 'alert', type: 'create_alert', config: { title: 'x' }, retry: { maxAttempts: 1 } },
        ],
      },
      event: {
        id: 'ev-1',
        entity: 'orders',
        type: 'on_create',
        data: { n: 1 },
        previous: null,
        occurredAt: '2025-01-01T00:00:00.000Z',
      },
      parent: null,
    };
    const inputText = JSON.stringify(input).replace('"data":{"n":1}', `"data":{"n":1,"big":${BIG}}`);
    ids.execution = (
      (await db.query(
        `INSERT INTO executions (tenant_id, rule_id, rule_version, event_id, workflow_id, trigger_type, input)
         VALUES ($1, $2, 1, 'ev-1', $3, 'on_create', $4::jsonb) RETURNING id`,
        [t1, ids.rule1, `wf-${randomUUID()}`, inputText],
      )) as Array<{ id: string }>
    )[0]!.id;

    const insertWebhook = async (tenant: string, secret: string, previous: string | null) =>
      (
        (await db.query(
          `INSERT INTO webhooks (tenant_id, name, url, events, secret, previous_secret) VALUES ($1, 'w', 'https://example.com/w', '{*}', $2, $3) RETURNING id`,
          [tenant, secret, previous],
        )) as Array<{ id: string }>
      )[0]!.id;
    ids.webhook1 = await insertWebhook(t1!, boxA.encrypt(PLAIN.webhookSecret), boxA.encrypt(PLAIN.webhookPrevious));
    ids.webhook2 = await insertWebhook(t2!, PLAIN.webhookLegacy, null);
    await db.query(
      `INSERT INTO webhooks (tenant_id, name, url, events, secret)
       SELECT $1, 'bulk ' || g, 'https://example.com/b', '{*}', $2 FROM generate_series(1, ${BULK_WEBHOOKS}) g`,
      [t1, boxA.encrypt(PLAIN.bulk)],
    );
  });

  afterAll(async () => {
    await fixture?.close();
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  });

  function secrets(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const {
      DATABASE_URL: _d,
      RULEFLOW_ENCRYPTION_KEY: _k,
      RULEFLOW_PREVIOUS_ENCRYPTION_KEYS: _p,
      ...inherited
    } = process.env;
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['-r', register, path.join(ROOT, 'scripts', 'secrets.ts'), ...args],
        {
          cwd: ROOT,
          env: {
            ...inherited,
            RULEFLOW_DATA_DIR: tmpDir,
            DATABASE_URL: fixture.database.url,
            RULEFLOW_ENCRYPTION_KEY: keyB.toString('base64'),
            RULEFLOW_PREVIOUS_ENCRYPTION_KEYS: keyA.toString('base64'),
            ...env,
          },
          timeout: 120_000,
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** Every table's secret-bearing columns, as stored (text), for before/after comparisons. */
  async function snapshot(): Promise<string> {
    const parts = await Promise.all([
      db.query(`SELECT id, actions::text FROM rules ORDER BY id`),
      db.query(`SELECT id, rule::text FROM rule_versions ORDER BY id`),
      db.query(`SELECT id, default_config::text FROM action_templates ORDER BY id`),
      db.query(`SELECT id, input::text FROM executions ORDER BY id`),
      db.query(`SELECT id, secret, previous_secret, updated_at FROM webhooks ORDER BY id`),
    ]);
    return JSON.stringify(parts);
  }

  /** `label  N resealed|to reseal, M already current, K cannot be opened` from the report. */
  function counts(out: string, label: string): { resealed: number; current: number; unopenable: number } {
    const line = out.split('\n').find((l) => l.trimStart().startsWith(`${label} `));
    const m = line && /(\d+) (?:resealed|to reseal).*?(\d+) already current.*?(\d+) cannot be opened/.exec(line);
    if (!m) throw new Error(`no counts for ${label} in:\n${out}`);
    return { resealed: Number(m[1]), current: Number(m[2]), unopenable: Number(m[3]) };
  }

  async function one<T>(sql: string, params: unknown[]): Promise<T> {
    return ((await db.query(sql, params)) as T[])[0]!;
  }

  it('--dry-run changes nothing and prints what it would do', async () => {
    const before = await snapshot();
    const run = await secrets(['reseal', '--dry-run']);
    expect(run.code).toBe(1); // the unknown-key value
    expect(run.stdout).toMatch(/dry run/i);
    expect(counts(run.stdout, 'rules.actions')).toEqual({ resealed: 4, current: 0, unopenable: 1 });
    expect(counts(run.stdout, 'webhooks.secret')).toEqual({ resealed: BULK_WEBHOOKS + 2, current: 0, unopenable: 0 });
    expect(await snapshot()).toBe(before);
  });

  it('reseals every value under the current key; the unknown-key value is reported and left alone; exit code 1', async () => {
    const unknownBefore = await one<{ actions: string }>(`SELECT actions::text FROM rules WHERE id = $1`, [ids.rule2]);
    const webhookUpdatedAt = await one<{ updated_at: Date }>(`SELECT updated_at FROM webhooks WHERE id = $1`, [
      ids.webhook1,
    ]);
    const run = await secrets(['reseal']);
    expect(run.code).toBe(1);
    expect(counts(run.stdout, 'rules.actions')).toEqual({ resealed: 4, current: 0, unopenable: 1 });
    expect(counts(run.stdout, 'rule_versions.rule')).toEqual({ resealed: 3, current: 0, unopenable: 0 });
    expect(counts(run.stdout, 'action_templates.default_config')).toEqual({ resealed: 1, current: 0, unopenable: 0 });
    expect(counts(run.stdout, 'executions.input')).toEqual({ resealed: 1, current: 0, unopenable: 0 });
    expect(counts(run.stdout, 'webhooks.secret')).toEqual({ resealed: BULK_WEBHOOKS + 2, current: 0, unopenable: 0 });
    expect(counts(run.stdout, 'webhooks.previous_secret')).toEqual({ resealed: 1, current: 0, unopenable: 0 });
    // The unopenable value: table, row id and key id, never the value.
    const all = run.stdout + run.stderr;
    expect(all).toMatch(new RegExp(`rules\\.actions.*${ids.rule2}.*${idUnknown}`));
    expect(all).toMatch(/Temporal/);
    for (const plain of Object.values(PLAIN)) expect(all).not.toContain(plain);
    for (const k of [keyA, keyB]) expect(all).not.toContain(k.toString('base64'));

    // rules: every secret now under B and opens with a B-only box; the unknown one untouched.
    const [rule1] = (await db.query(`SELECT actions FROM rules WHERE id = $1`, [ids.rule1])) as Array<{
      actions: Array<{ config: { secret: string; headers: Record<string, string> } }>;
    }>;
    const cfg = rule1!.actions[0]!.config;
    for (const v of [cfg.secret, cfg.headers.Authorization, cfg.headers['X-API-Key']]) expect(sealedKeyId(v)).toBe(idB);
    expect(boxBOnly.decrypt(cfg.secret)).toBe(PLAIN.ruleSecret);
    expect(boxBOnly.decrypt(cfg.headers.Authorization!)).toBe(PLAIN.ruleAuth);
    expect(boxBOnly.decrypt(cfg.headers['X-API-Key']!)).toBe(PLAIN.legacyApiKey);
    expect(cfg.headers['X-Trace']).toBe('not-a-secret');
    expect(cfg.headers['X-Token']).toBe('Bearer {{ data.token }}');

    const [rule2] = (await db.query(`SELECT actions FROM rules WHERE id = $1`, [ids.rule2])) as Array<{
      actions: Array<{ config: { secret: string; headers: Record<string, string> } }>;
    }>;
    const cfg2 = rule2!.actions[0]!.config;
    expect(sealedKeyId(cfg2.secret)).toBe(idUnknown);
    expect(JSON.parse(unknownBefore.actions)[0].config.secret).toBe(cfg2.secret);
    expect(boxUnknown.decrypt(cfg2.secret)).toBe(PLAIN.unknownSecret);
    expect(boxBOnly.decrypt(cfg2.headers.Authorization!)).toBe(PLAIN.otherAuth);

    const version = await one<{
      rule: { actions: Array<{ config: { secret: string; headers: Record<string, string> } }> };
    }>(`SELECT rule FROM rule_versions WHERE id = $1`, [ids.version]);
    expect(boxBOnly.decrypt(version.rule.actions[0]!.config.secret)).toBe(PLAIN.ruleSecret);
    expect(boxBOnly.decrypt(version.rule.actions[0]!.config.headers.Authorization!)).toBe(PLAIN.ruleAuth);
    expect(boxBOnly.decrypt(version.rule.actions[0]!.config.headers['X-API-Key']!)).toBe(PLAIN.legacyApiKey);

    const template = await one<{ default_config: { headers: Record<string, string> } }>(
      `SELECT default_config FROM action_templates WHERE id = $1`,
      [ids.template],
    );
    expect(sealedKeyId(template.default_config.headers.Authorization)).toBe(idB);
    expect(boxBOnly.decrypt(template.default_config.headers.Authorization!)).toBe(PLAIN.templateAuth);

    const execution = await one<{ input: string }>(`SELECT input::text AS input FROM executions WHERE id = $1`, [
      ids.execution,
    ]);
    expect(execution.input).toContain(BIG); // untouched, to the last digit
    const secret = (JSON.parse(execution.input) as { rule: { actions: Array<{ config: { secret: string } }> } }).rule
      .actions[0]!.config.secret;
    expect(sealedKeyId(secret)).toBe(idB);
    expect(boxBOnly.decrypt(secret)).toBe(PLAIN.execSecret);

    const w1 = await one<{ secret: string; previous_secret: string; updated_at: Date }>(
      `SELECT secret, previous_secret, updated_at FROM webhooks WHERE id = $1`,
      [ids.webhook1],
    );
    expect(boxBOnly.decrypt(w1.secret)).toBe(PLAIN.webhookSecret);
    expect(boxBOnly.decrypt(w1.previous_secret)).toBe(PLAIN.webhookPrevious);
    expect(w1.updated_at).toEqual(webhookUpdatedAt.updated_at); // not a user change
    const w2 = await one<{ secret: string; previous_secret: string | null }>(
      `SELECT secret, previous_secret FROM webhooks WHERE id = $1`,
      [ids.webhook2],
    );
    expect(boxBOnly.decrypt(w2.secret)).toBe(PLAIN.webhookLegacy);
    expect(w2.previous_secret).toBeNull();
    const keyIds: Array<{ k: string; n: number }> = await db.query(
      `SELECT split_part(secret, ':', 3) AS k, count(*)::int AS n FROM webhooks GROUP BY 1`,
    );
    expect(keyIds).toEqual([{ k: idB, n: BULK_WEBHOOKS + 2 }]);
    expect(
      await db.query(`SELECT 1 FROM webhooks WHERE secret LIKE $1 OR previous_secret LIKE $1`, [`enc:v1:${idA}:%`]),
    ).toEqual([]);
  });

  it('a second run reseals nothing (all already current) and still reports the unknown key', async () => {
    const before = await snapshot();
    const run = await secrets(['reseal']);
    expect(run.code).toBe(1);
    expect(counts(run.stdout, 'rules.actions')).toEqual({ resealed: 0, current: 4, unopenable: 1 });
    expect(counts(run.stdout, 'rule_versions.rule')).toEqual({ resealed: 0, current: 3, unopenable: 0 });
    expect(counts(run.stdout, 'action_templates.default_config')).toEqual({ resealed: 0, current: 1, unopenable: 0 });
    expect(counts(run.stdout, 'executions.input')).toEqual({ resealed: 0, current: 1, unopenable: 0 });
    expect(counts(run.stdout, 'webhooks.secret')).toEqual({ resealed: 0, current: BULK_WEBHOOKS + 2, unopenable: 0 });
    expect(counts(run.stdout, 'webhooks.previous_secret')).toEqual({ resealed: 0, current: 1, unopenable: 0 });
    expect(run.stdout + run.stderr).toContain(ids.rule2);
    expect(await snapshot()).toBe(before);
  });

  it('exits 0 when every value could be resealed', async () => {
    // Drop the unknown-key value, as an operator would after recovering or discarding it.
    await db.query(
      `UPDATE rules SET actions = jsonb_set(actions, '{0,config,secret}', to_jsonb($2::text)) WHERE id = $1`,
      [ids.rule2, boxA.encrypt(PLAIN.unknownSecret)],
    );
    const run = await secrets(['reseal']);
    expect(run).toMatchObject({ code: 0 });
    expect(counts(run.stdout, 'rules.actions')).toEqual({ resealed: 1, current: 4, unopenable: 0 });
  });

  it('a row that changed between read and update is left as the other writer saved it', async () => {
    const client = new Client({ connectionString: fixture.database.url });
    await client.connect();
    try {
      const spec = TABLES.find((t) => t.table === 'webhooks')!;
      const [webhook] = (await db.query(
        `INSERT INTO webhooks (tenant_id, name, url, events, secret)
         SELECT tenant_id, 'raced', 'https://example.com/r', '{*}', $2 FROM webhooks WHERE id = $1 RETURNING id`,
        [ids.webhook1, boxA.encrypt(PLAIN.webhookSecret)],
      )) as Array<{ id: string }>;
      const row = (await rowById(client, spec, webhook!.id))!;
      const box = createSecretBox({ current: keyB, previous: [keyA] });
      const plan = planRow(spec, row, box, new Set([idA, idB]));
      expect(plan.changes).toHaveLength(1);
      // Meanwhile the gateway rotates the endpoint's secret.
      const rotated = boxA.encrypt('whsec_rotated_meanwhile');
      await db.query(`UPDATE webhooks SET secret = $2 WHERE id = $1`, [webhook!.id, rotated]);
      expect(await applyPlan(client, spec, row, plan)).toBe(false);
      expect(await one(`SELECT secret FROM webhooks WHERE id = $1`, [webhook!.id])).toEqual({ secret: rotated });
      // Planned again from a fresh read, it applies.
      const fresh = (await rowById(client, spec, webhook!.id))!;
      expect(await applyPlan(client, spec, fresh, planRow(spec, fresh, box, new Set([idA, idB])))).toBe(true);
      const { secret } = await one<{ secret: string }>(`SELECT secret FROM webhooks WHERE id = $1`, [webhook!.id]);
      expect(boxBOnly.decrypt(secret)).toBe('whsec_rotated_meanwhile');
    } finally {
      await client.end();
    }
  });

  it.each<[string[], RegExp]>([
    [[], /a command is needed/],
    [['rotate'], /unknown command "rotate"/],
    [['reseal', '--force'], /unknown option --force/],
    [['reseal', 'extra'], /unexpected argument "extra"/],
    [['reseal', '--dry-run=yes'], /--dry-run takes no value/],
  ])('bad arguments %j: exit code 2 with the usage', async (args, problem) => {
    const before = await snapshot();
    const run = await secrets(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(problem);
    expect(run.stderr).toContain('Usage:');
    expect(run.stdout).toBe('');
    expect(await snapshot()).toBe(before);
  });
});
