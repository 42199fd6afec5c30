import { insertTenants, openTestDataSource } from '@ruleflow/testing';
import type { DataSource } from 'typeorm';
import type { CreateAlertInput } from './alert.activities';
import { createAlertActivities } from './alert.activities';
import { AlertRepository } from '@ruleflow/entities';

describe('createAlert activity over AlertRepository (real PostgreSQL)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  let db: DataSource;
  let tenantId: string;
  let otherTenantId: string;
  const now = new Date('2030-01-01T00:00:00.000Z');
  let activities: ReturnType<typeof createAlertActivities>;

  beforeAll(async () => {
    testDb = await openTestDataSource('alert-activities-spec');
    db = testDb.db;
    [tenantId, otherTenantId] = (await insertTenants(db, 2)) as [string, string];
    activities = createAlertActivities({ alerts: new AlertRepository(db), now: () => now });
  });

  afterAll(async () => {
    await testDb?.close();
  });

  let seq = 0;
  function input(overrides: Partial<CreateAlertInput> = {}): CreateAlertInput {
    seq++;
    return {
      alertType: 'late_order',
      severity: 'high',
      title: `Order ${seq} is late`,
      message: 'It has not shipped in 3 days',
      recipients: [
        { type: 'user', id: 'u-1' },
        { type: 'role', id: 'ops' },
      ],
      expiresIn: '1h',
      context: { orderId: seq },
      tenantId,
      executionId: null,
      ruleId: null,
      sourceEntityName: 'orders',
      sourceEntityId: String(seq),
      idempotencyKey: `rule-x-evt-${seq}/alert`,
      ...overrides,
    };
  }

  const countAlerts = async (key: string) =>
    (await db.query(`SELECT count(*)::int AS n FROM alerts WHERE idempotency_key = $1`, [key]))[0].n as number;

  it('records the alert with its recipients, context and expiry', async () => {
    const given = input();
    const { alertId } = await activities.createAlert(given);

    const [row] = await db.query(`SELECT * FROM alerts WHERE id = $1`, [alertId]);
    expect(row).toMatchObject({
      tenant_id: tenantId,
      alert_type: 'late_order',
      severity: 'high',
      title: given.title,
      message: 'It has not shipped in 3 days',
      context: given.context,
      source_entity_name: 'orders',
      source_entity_id: given.sourceEntityId,
      status: 'active',
      idempotency_key: given.idempotencyKey,
    });
    expect((row.expires_at as Date).toISOString()).toBe('2030-01-01T01:00:00.000Z');
    const recipients = await db.query(
      `SELECT recipient_type, recipient_id FROM alert_recipients WHERE alert_id = $1 ORDER BY recipient_type DESC`,
      [alertId],
    );
    expect(recipients).toEqual([
      { recipient_type: 'user', recipient_id: 'u-1' },
      { recipient_type: 'role', recipient_id: 'ops' },
    ]);
  });

  it('creates one alert for the same key, however often it is called', async () => {
    const given = input();
    const first = await activities.createAlert(given);
    const again = await activities.createAlert({ ...given, title: 'a retry renders differently' });
    expect(again.alertId).toBe(first.alertId);
    expect(await countAlerts(given.idempotencyKey)).toBe(1);
    const recipients = await db.query(`SELECT count(*)::int AS n FROM alert_recipients WHERE alert_id = $1`, [
      first.alertId,
    ]);
    expect(recipients[0].n).toBe(2);
  });

  it('creates one alert when attempts race on the same key', async () => {
    const given = input();
    const results = await Promise.all(Array.from({ length: 5 }, () => activities.createAlert(given)));
    expect(new Set(results.map((r) => r.alertId)).size).toBe(1);
    expect(await countAlerts(given.idempotencyKey)).toBe(1);
  });

  it('keys per tenant: the same key in another tenant is another alert', async () => {
    const given = input();
    const mine = await activities.createAlert(given);
    const theirs = await activities.createAlert({ ...given, tenantId: otherTenantId });
    expect(theirs.alertId).not.toBe(mine.alertId);
    expect(await countAlerts(given.idempotencyKey)).toBe(2);
  });

  it.each([
    ['severity', { severity: 'urgent' }, /severity/],
    ['recipients', { recipients: [] }, /recipients/],
    ['recipient type', { recipients: [{ type: 'team', id: 'x' }] }, /recipients\[0\]\.type/],
    ['title', { title: '' }, /title/],
    ['expiresIn', { expiresIn: 'soon' }, /expiresIn/],
    ['context', { context: 'text' }, /context/],
  ])('fails non-retryably on an invalid rendered %s and writes nothing', async (_name, overrides, message) => {
    const given = input(overrides as Partial<CreateAlertInput>);
    await expect(activities.createAlert(given)).rejects.toMatchObject({
      type: 'InvalidAlertConfig',
      nonRetryable: true,
      message: expect.stringMatching(message),
    });
    expect(await countAlerts(given.idempotencyKey)).toBe(0);
  });
});
