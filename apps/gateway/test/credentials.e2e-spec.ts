/**
 * Credentials: hook tokens stored as hashes only (shown in full on create and rotate, masked
 * elsewhere), masked secrets that would follow a webhook to a new host, API keys in query strings,
 * one 401 for every bad key, and 503s that do not echo Temporal.
 */
import { randomBytes } from 'node:crypto';
import { freePort } from '@ruleflow/testing';
import request from 'supertest';
import { HookTokenHashes1764374400001 } from '../../../libs/entities/src/migrations/1764374400001-hook-token-hashes';
import type { TestSystem } from './test-system';
import { ADMIN_KEY, startTestSystem } from './test-system';

const MASK = '********';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const TOKEN = 'Bearer tok_live_host_change_0123456789';
const DELAY = { type: 'delay', config: { duration: '1s' } };
const HOOK_URL = /^\/v1\/hooks\/[A-Za-z0-9_-]{43}$/;
const MASKED_HOOK_URL = /^\/v1\/hooks\/[A-Za-z0-9_-]{6}\*{8}$/;

describe('credentials (end to end)', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await startTestSystem({ withoutWorker: true });
  });
  afterAll(async () => {
    await sys?.close();
  });

  const tokenOf = (hookUrl: string) => hookUrl.split('/').pop()!;

  async function hookRule(name: string) {
    const res = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({ name, entity: 'leads', trigger: { type: 'webhook' }, actions: [DELAY] });
    expect(res.status).toBe(201);
    expect(res.body.trigger.hookUrl).toMatch(HOOK_URL);
    return { id: res.body.id as string, hookUrl: res.body.trigger.hookUrl as string };
  }

  /** Every stored trace of a rule as text: its row, its versions and its audit rows. */
  async function storedText(ruleId: string): Promise<string> {
    const rows = await sys.db.query(`SELECT to_jsonb(r)::text AS t FROM rules r WHERE id = $1`, [ruleId]);
    const versions = await sys.db.query(`SELECT to_jsonb(v)::text AS t FROM rule_versions v WHERE rule_id = $1`, [
      ruleId,
    ]);
    const audit = await sys.db.query(`SELECT to_jsonb(a)::text AS t FROM audit_logs a WHERE resource_id = $1`, [
      ruleId,
    ]);
    expect(rows).toHaveLength(1);
    return [...rows, ...versions, ...audit].map((r: { t: string }) => r.t).join('\n');
  }

  describe('hook tokens', () => {
    it('stores only a hash, masks the URL after create, and never keeps the token in rules, versions or audit', async () => {
      const rule = await hookRule('hashed hook');
      const token = tokenOf(rule.hookUrl);

      const got = await sys.http.get(`/v1/rules/${rule.id}`).set(sys.auth);
      expect(got.body.trigger.hookUrl).toMatch(MASKED_HOOK_URL);
      expect(got.body.trigger.hookUrl.startsWith(rule.hookUrl.slice(0, '/v1/hooks/'.length + 6))).toBe(true);
      const patched = await sys.http.patch(`/v1/rules/${rule.id}`).set(sys.auth).send({ description: 'x' });
      expect(patched.status).toBe(200);
      expect(patched.body.trigger.hookUrl).toMatch(MASKED_HOOK_URL);
      for (const path of ['/v1/rules', `/v1/rules/${rule.id}/versions`]) {
        const res = await sys.http.get(path).set(sys.auth);
        expect(res.status).toBe(200);
        expect(JSON.stringify(res.body)).not.toContain(token);
      }
      const [row] = await sys.db.query(`SELECT hook_token_hash FROM rules WHERE id = $1`, [rule.id]);
      expect(row.hook_token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(await storedText(rule.id)).not.toContain(token);

      // The URL still works: the token is looked up by its hash.
      expect((await sys.http.post(rule.hookUrl).send({ a: 1 })).status).toBe(202);
    });

    it('rotate-hook returns the new full URL once; the old one answers 404 at once', async () => {
      const rule = await hookRule('rotated hook');
      const rotated = await sys.http.post(`/v1/rules/${rule.id}/rotate-hook`).set(sys.auth);
      expect(rotated.status).toBe(200);
      expect(rotated.body).toEqual({ hookUrl: expect.stringMatching(HOOK_URL) });
      expect(rotated.body.hookUrl).not.toBe(rule.hookUrl);

      const unknown = await sys.http.post(`/v1/hooks/${randomBytes(32).toString('base64url')}`).send({});
      const old = await sys.http.post(rule.hookUrl).send({});
      expect(old.status).toBe(404);
      expect(old.body).toEqual(unknown.body);
      expect((await sys.http.post(rotated.body.hookUrl).send({})).status).toBe(202);

      const got = await sys.http.get(`/v1/rules/${rule.id}`).set(sys.auth);
      expect(got.body.trigger.hookUrl).toMatch(MASKED_HOOK_URL);
      const audit = await sys.http.get(`/v1/audit-logs?resourceType=rule&resourceId=${rule.id}`).set(sys.auth);
      expect((audit.body.items as Array<{ action: string }>).map((a) => a.action)).toContain('rotate-hook');
      const text = await storedText(rule.id);
      expect(text).not.toContain(tokenOf(rule.hookUrl));
      expect(text).not.toContain(tokenOf(rotated.body.hookUrl));

      // Only webhook-triggered rules have a hook; another tenant's rule is a 404.
      const manual = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({ name: 'no hook', entity: 'leads', trigger: { type: 'manual' }, actions: [DELAY] });
      const refused = await sys.http.post(`/v1/rules/${manual.body.id}/rotate-hook`).set(sys.auth);
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain('webhook');
      const missing = await sys.http.post(`/v1/rules/${randomBytes(16).toString('hex')}/rotate-hook`).set(sys.auth);
      expect(missing.status).toBe(404);
    });

    it('the migration hashes existing clear-text tokens in place, so old hook URLs keep working', async () => {
      const rule = await hookRule('legacy hook');
      const migration = new HookTokenHashes1764374400001();
      const legacy = randomBytes(32).toString('base64url');
      const runner = sys.db.createQueryRunner();
      try {
        // As the previous release stored it: the token in clear in rules and in the versions' hookUrl.
        await migration.down(runner);
        await runner.query(`UPDATE rules SET hook_token = $2 WHERE id = $1`, [rule.id, legacy]);
        await runner.query(
          `UPDATE rule_versions SET rule = jsonb_set(rule, '{trigger,hookUrl}', to_jsonb($2::text)) WHERE rule_id = $1`,
          [rule.id, `/v1/hooks/${legacy}`],
        );
        await migration.up(runner);
      } finally {
        await runner.release();
      }
      expect(await storedText(rule.id)).not.toContain(legacy);
      const columns = await sys.db.query(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'rules' AND column_name = 'hook_token'`,
      );
      expect(columns).toHaveLength(0);
      expect((await sys.http.post(`/v1/hooks/${legacy}`).send({})).status).toBe(202);
      const versions = await sys.http.get(`/v1/rules/${rule.id}/versions`).set(sys.auth);
      expect(versions.body.items[0].rule.trigger.hookUrl).toBe(`/v1/hooks/${legacy.slice(0, 6)}${MASK}`);
    });
  });

  describe('masked secrets and a new host', () => {
    const action = (url: string, config: Record<string, unknown> = {}) => ({
      name: 'erp',
      type: 'webhook',
      config: { url, secret: SECRET, headers: { Authorization: TOKEN, 'X-Tenant': 'acme' }, ...config },
    });

    it('rules: masks sent back with a new host are refused naming the field; the same host keeps them', async () => {
      const created = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({
          name: 'moving',
          entity: 'moves',
          trigger: { type: 'manual' },
          actions: [action('http://localhost/a')],
        });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const masked = created.body.actions[0];
      const patch = (actions: unknown[]) => sys.http.patch(`/v1/rules/${id}`).set(sys.auth).send({ actions });

      const moved = await patch([{ ...masked, config: { ...masked.config, url: 'http://127.0.0.2/a' } }]);
      expect(moved.status).toBe(400);
      expect(moved.body.message).toBe("actions[0].config.secret: the URL's host changed; give the secret again");
      const port = await patch([{ ...masked, config: { ...masked.config, url: 'http://localhost:8443/a' } }]);
      expect(port.status).toBe(400);
      const header = await patch([
        { ...masked, config: { ...masked.config, url: 'https://localhost/a', secret: SECRET } },
      ]);
      expect(header.status).toBe(400);
      expect(header.body.message).toBe(
        "actions[0].config.headers.Authorization: the URL's host changed; give the secret again",
      );
      // Nothing was written.
      const [row] = await sys.db.query(`SELECT version, actions FROM rules WHERE id = $1`, [id]);
      expect(row.version).toBe(1);
      expect(row.actions[0].config.url).toBe('http://localhost/a');

      // Same host, another path: the masks keep the stored values.
      const samehost = await patch([{ ...masked, config: { ...masked.config, url: 'http://LOCALHOST:80/b' } }]);
      expect(samehost.status).toBe(200);
      // New host with the secrets given again: accepted.
      const given = await patch([action('http://127.0.0.3/a')]);
      expect(given.status).toBe(200);
      expect(given.body.actions[0].config.url).toBe('http://127.0.0.3/a');
    });

    it('rules: an action overriding a template URL does not inherit the template secrets', async () => {
      const tpl = await sys.http
        .post('/v1/action-templates')
        .set(sys.auth)
        .send({ name: 'signed-erp-host', actionType: 'webhook', defaultConfig: action('http://localhost/t').config });
      expect(tpl.status).toBe(201);
      const send = (config: Record<string, unknown>) =>
        sys.http
          .post('/v1/rules')
          .set(sys.auth)
          .send({
            name: 'tpl',
            entity: 'moves',
            trigger: { type: 'manual' },
            actions: [{ templateId: tpl.body.id, config }],
          });
      const moved = await send({ url: 'http://127.0.0.2/t' });
      expect(moved.status).toBe(400);
      expect(moved.body.message).toBe(
        "actions[0].config.secret: the URL's host differs from the template's; give the secret again",
      );
      expect((await send({ url: 'http://127.0.0.2/t', secret: SECRET, headers: {} })).status).toBe(201);
      expect((await send({ url: 'http://localhost/other' })).status).toBe(201);
    });

    it('action templates: the same rule for defaultConfig', async () => {
      const created = await sys.http
        .post('/v1/action-templates')
        .set(sys.auth)
        .send({ name: 'moving-template', actionType: 'webhook', defaultConfig: action('http://localhost/x').config });
      expect(created.status).toBe(201);
      const masked = created.body.defaultConfig as Record<string, unknown>;
      const patch = (defaultConfig: Record<string, unknown>) =>
        sys.http.patch(`/v1/action-templates/${created.body.id}`).set(sys.auth).send({ defaultConfig });
      const moved = await patch({ ...masked, url: 'http://127.0.0.2/x' });
      expect(moved.status).toBe(400);
      expect(moved.body.message).toBe("defaultConfig.secret: the URL's host changed; give the secret again");
      const [row] = await sys.db.query(`SELECT default_config FROM action_templates WHERE id = $1`, [created.body.id]);
      expect(row.default_config.url).toBe('http://localhost/x');
      expect((await patch({ ...masked, url: 'http://localhost/y' })).status).toBe(200);
    });
  });

  describe('API keys', () => {
    it('refuses a key in the query string, whatever the parameter, naming the rule', async () => {
      for (const query of [
        `api_key=${ADMIN_KEY}`,
        `apiKey=${ADMIN_KEY}`,
        'key=whatever',
        'access_token=whatever',
        `entity=${ADMIN_KEY}`,
      ]) {
        const res = await sys.http.get(`/v1/rules?${query}`).set(sys.auth);
        expect([400, 401]).toContain(res.status);
        expect(res.body.message).toContain('send the key in the Authorization or X-API-Key header');
        expect(JSON.stringify(res.body)).not.toContain(ADMIN_KEY);
      }
      const alone = await sys.http.get(`/v1/rules?api_key=${ADMIN_KEY}`);
      expect([400, 401]).toContain(alone.status);
      expect(alone.body.message).toContain('send the key in the Authorization or X-API-Key header');
    });

    it('answers one 401 for unknown, revoked, expired and malformed keys', async () => {
      const make = async (extra: Record<string, unknown> = {}) => {
        const res = await sys.http
          .post('/v1/api-keys')
          .set(sys.auth)
          .send({ name: 'k', scopes: ['rules:read'], ...extra });
        expect(res.status).toBe(201);
        return res.body as { id: string; key: string };
      };
      const revoked = await make();
      expect((await sys.http.delete(`/v1/api-keys/${revoked.id}`).set(sys.auth)).status).toBe(204);
      const expired = await make({ expiresInDays: 1 });
      await sys.db.query(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.id]);

      const bodies = [];
      for (const key of [`rf_${randomBytes(32).toString('base64url')}`, revoked.key, expired.key, 'not-a-key']) {
        const res = await sys.http.get('/v1/rules').set('Authorization', `Bearer ${key}`);
        expect(res.status).toBe(401);
        bodies.push(res.body);
      }
      expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    });
  });

  it('a 503 from a Temporal outage does not echo Temporal', async () => {
    const deadPort = await freePort();
    const app = await sys.startGateway({ TEMPORAL_ADDRESS: `127.0.0.1:${deadPort}` });
    const res = await request(app.getHttpServer())
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: 'scheduled while Temporal is down',
        entity: 'ticks',
        trigger: { type: 'scheduled', cron: '*/5 * * * *' },
        actions: [DELAY],
      });
    expect(res.status).toBe(503);
    expect(res.body.message).toBe('Temporal is unavailable; retry later');
    expect(JSON.stringify(res.body)).not.toContain(String(deadPort));
  });
});
