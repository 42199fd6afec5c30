import { createHash, randomUUID } from 'node:crypto';
import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

const fastRetry = { maximumAttempts: 3, initialInterval: '100ms', backoffCoefficient: 1, maximumInterval: '200ms' };

describe('inventory (end to end)', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;
  let otherTenant: Record<string, string>;
  let readOnly: Record<string, string>;

  beforeAll(async () => {
    sys = await startTestSystem();
    receiver = await startHttpReceiver(() => ({ status: 400, body: '{"error":"no"}' }));
    const rows: Array<{ id: string }> = await sys.db.query(`SELECT id FROM tenants WHERE name = 'default'`);
    const other: Array<{ id: string }> = await sys.db.query(`INSERT INTO tenants (name) VALUES ($1) RETURNING id`, [
      `other-${randomUUID()}`,
    ]);
    otherTenant = await keyWithScopes(['inventory:read', 'inventory:write'], other[0]!.id);
    readOnly = await keyWithScopes(['inventory:read'], rows[0]!.id);
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.close();
  });

  async function keyWithScopes(scopes: string[], tenant: string): Promise<Record<string, string>> {
    const key = `rf_inv_${randomUUID().replace(/-/g, '')}`;
    await sys.db.query(
      `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes, enabled) VALUES ($1, 'k', $2, $3, $4, true)`,
      [tenant, key.slice(0, 10), createHash('sha256').update(key).digest('hex'), scopes],
    );
    return { Authorization: `Bearer ${key}` };
  }

  const sku = () => `sku-${randomUUID().slice(0, 8)}`;
  const setStock = (s: string, quantityOnHand: unknown, auth: Record<string, string> = sys.auth) =>
    sys.http.put(`/v1/inventory/items/${s}`).set(auth).send({ quantityOnHand });
  const item = async (s: string) => (await sys.http.get(`/v1/inventory/items/${s}`).set(sys.auth)).body;

  async function runRule(actions: unknown[], data: Record<string, unknown>) {
    const rule = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({ name: `inv-${randomUUID()}`, entity: 'orders', trigger: { type: 'manual' }, actions });
    expect(rule.status).toBe(201);
    const run = await sys.http.post(`/v1/rules/${rule.body.id}/run`).set(sys.auth).send({ data });
    expect(run.status).toBe(202);
    const execution = await eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${run.body.executionId}`).set(sys.auth);
      return ['success', 'failed', 'partial', 'cancelled'].includes(res.body.status) ? res.body : undefined;
    });
    return { execution, workflowId: run.body.workflowId as string };
  }

  it('sets and reads stock; refuses on-hand below reserved with 409; hides items of other tenants', async () => {
    const s = sku();
    const put = await setStock(s, 10);
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ sku: s, quantityOnHand: 10, quantityReserved: 0, quantityAvailable: 10 });
    expect(await item(s)).toEqual(put.body);
    expect((await setStock(s, -1)).status).toBe(400);
    expect((await setStock(s, 'ten')).status).toBe(400);
    expect(
      (await sys.http.put(`/v1/inventory/items/${s}`).set(sys.auth).send({ quantityOnHand: 1, x: 1 })).status,
    ).toBe(400);

    const alloc = await sys.http
      .post('/v1/inventory/allocations')
      .set(sys.auth)
      .send({ idempotencyKey: `k-${s}`, orderId: 'o-1', lines: [{ sku: s, quantity: 4 }] });
    expect(alloc.status).toBe(201);
    const below = await setStock(s, 3);
    expect(below.status).toBe(409);
    expect(below.body.message).toContain('reserved');

    expect((await sys.http.get(`/v1/inventory/items/${s}`).set(otherTenant)).status).toBe(404);
    expect((await sys.http.get(`/v1/inventory/items/nope-${s}`).set(sys.auth)).status).toBe(404);
    expect((await setStock(s, 5, readOnly)).status).toBe(403);
  });

  it('allocates (201), answers the same key with the stored result (200), releases idempotently', async () => {
    const s = sku();
    await setStock(s, 5);
    const body = { idempotencyKey: `k-${s}`, orderId: 'o-2', lines: [{ sku: s, quantity: 3 }] };
    const first = await sys.http.post('/v1/inventory/allocations').set(sys.auth).send(body);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      id: expect.any(String),
      idempotencyKey: body.idempotencyKey,
      orderId: 'o-2',
      status: 'allocated',
      lines: [{ sku: s, requested: 3, allocated: 3 }],
      createdAt: expect.any(String),
    });
    const again = await sys.http.post('/v1/inventory/allocations').set(sys.auth).send(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await item(s)).toMatchObject({ quantityReserved: 3, quantityAvailable: 2 });

    const got = await sys.http.get(`/v1/inventory/allocations/${body.idempotencyKey}`).set(sys.auth);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(first.body);
    expect((await sys.http.get(`/v1/inventory/allocations/${body.idempotencyKey}`).set(otherTenant)).status).toBe(404);
    const foreignRelease = await sys.http
      .post(`/v1/inventory/allocations/${body.idempotencyKey}/release`)
      .set(otherTenant);
    expect(foreignRelease.status).toBe(404);

    for (let i = 0; i < 2; i++) {
      const rel = await sys.http.post(`/v1/inventory/allocations/${body.idempotencyKey}/release`).set(sys.auth);
      expect(rel.status).toBe(200);
      expect(rel.body).toMatchObject({ id: first.body.id, status: 'released' });
      expect(await item(s)).toMatchObject({ quantityReserved: 0, quantityAvailable: 5 });
    }
    expect((await sys.http.post('/v1/inventory/allocations/none/release').set(sys.auth)).status).toBe(404);
  });

  it('answers 400 for an unknown sku, a non-positive quantity or a bad mode, and rejects what does not fit', async () => {
    const s = sku();
    await setStock(s, 2);
    const post = (b: object) => sys.http.post('/v1/inventory/allocations').set(sys.auth).send(b);
    const base = { idempotencyKey: `k-${s}`, orderId: 'o-3' };
    expect((await post({ ...base, lines: [{ sku: `x-${s}`, quantity: 1 }] })).status).toBe(400);
    expect((await post({ ...base, lines: [{ sku: s, quantity: 0 }] })).status).toBe(400);
    expect((await post({ ...base, lines: [{ sku: s, quantity: -2 }] })).status).toBe(400);
    expect((await post({ ...base, lines: [] })).status).toBe(400);
    expect((await post({ ...base, lines: [{ sku: s, quantity: 1 }], mode: 'some' })).status).toBe(400);
    // None of the refused requests took the key.
    expect((await sys.http.get(`/v1/inventory/allocations/${base.idempotencyKey}`).set(sys.auth)).status).toBe(404);

    const rejected = await post({ ...base, lines: [{ sku: s, quantity: 3 }] });
    expect(rejected.status).toBe(201);
    expect(rejected.body).toMatchObject({ status: 'rejected', lines: [{ sku: s, requested: 3, allocated: 0 }] });
    const partial = await post({
      ...base,
      idempotencyKey: `p-${s}`,
      lines: [{ sku: s, quantity: 3 }],
      mode: 'partial',
    });
    expect(partial.body).toMatchObject({ status: 'partial', lines: [{ sku: s, requested: 3, allocated: 2 }] });
  });

  it('validates literal allocate_inventory lines when the rule is saved', async () => {
    const res = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: `bad-${randomUUID()}`,
        entity: 'orders',
        trigger: { type: 'manual' },
        actions: [{ type: 'allocate_inventory', config: { orderId: '1', lines: [{ sku: 'a', quantity: 0 }] } }],
      });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain('lines[0].quantity');
  });

  it('a rule with only allocate_inventory succeeds with the allocation as its output, once per run', async () => {
    const s = sku();
    await setStock(s, 10);
    const { execution, workflowId } = await runRule(
      [{ name: 'reserve', type: 'allocate_inventory', config: { orderId: '{{data.id}}', lines: '{{data.lines}}' } }],
      { id: 'ord-ok', lines: [{ sku: s, quantity: 4 }] },
    );
    expect(execution.status).toBe('success');
    const key = `${workflowId}/reserve`;
    expect(execution.actions).toEqual([
      expect.objectContaining({
        name: 'reserve',
        status: 'success',
        output: {
          id: expect.any(String),
          idempotencyKey: key,
          orderId: 'ord-ok',
          status: 'allocated',
          lines: [{ sku: s, requested: 4, allocated: 4 }],
          createdAt: expect.any(String),
        },
      }),
    ]);
    expect(await item(s)).toMatchObject({ quantityReserved: 4, quantityAvailable: 6 });
    const stored = await sys.http.get(`/v1/inventory/allocations/${encodeURIComponent(key)}`).set(sys.auth);
    expect(stored.body).toMatchObject({ status: 'allocated', orderId: 'ord-ok' });
  });

  it('releases the allocation when a later action fails for good (execution partial, stock back)', async () => {
    const s = sku();
    await setStock(s, 10);
    const { execution, workflowId } = await runRule(
      [
        {
          name: 'reserve',
          type: 'allocate_inventory',
          config: { orderId: 'ord-fail', lines: [{ sku: s, quantity: 7 }] },
        },
        { name: 'erp', type: 'webhook', config: { url: `${receiver.url}/erp` }, retry: fastRetry },
      ],
      { id: 'ord-fail' },
    );
    expect(execution.status).toBe('partial');
    expect(execution.errorAction).toBe('erp');
    expect(execution.actions[0]).toMatchObject({ name: 'reserve', status: 'success', output: { status: 'allocated' } });
    expect(await item(s)).toMatchObject({ quantityReserved: 0, quantityAvailable: 10 });
    const stored = await sys.http
      .get(`/v1/inventory/allocations/${encodeURIComponent(`${workflowId}/reserve`)}`)
      .set(sys.auth);
    expect(stored.body).toMatchObject({ status: 'released', lines: [{ sku: s, requested: 7, allocated: 7 }] });
  });

  it('fails a run whose allocation is rejected (InventoryUnavailable) and reserves nothing', async () => {
    const s = sku();
    await setStock(s, 1);
    const { execution } = await runRule(
      [{ name: 'reserve', type: 'allocate_inventory', config: { orderId: 'big', lines: [{ sku: s, quantity: 2 }] } }],
      {},
    );
    expect(execution.status).toBe('failed');
    expect(execution.actions[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(execution.error).toContain('not enough stock');
    expect(await item(s)).toMatchObject({ quantityReserved: 0 });
  });
  it('release_inventory returns what earlier allocate_inventory actions of the run reserved', async () => {
    const s = sku();
    await setStock(s, 10);
    const { execution, workflowId } = await runRule(
      [
        { name: 'a', type: 'allocate_inventory', config: { orderId: 'o-a', lines: [{ sku: s, quantity: 2 }] } },
        { name: 'b', type: 'allocate_inventory', config: { orderId: 'o-b', lines: [{ sku: s, quantity: 3 }] } },
        { name: 'undoA', type: 'release_inventory', config: { idempotencyKey: '{{steps.a.idempotencyKey}}' } },
        { name: 'check', type: 'allocate_inventory', config: { orderId: 'o-c', lines: [{ sku: s, quantity: 1 }] } },
        { name: 'undoAll', type: 'release_inventory', config: {} },
      ],
      {},
    );
    expect(execution.status).toBe('success');
    const outputs = Object.fromEntries(
      (execution.actions as Array<{ name: string; output: unknown }>).map((a) => [a.name, a.output]),
    );
    expect(outputs.undoA).toEqual({
      released: [expect.objectContaining({ idempotencyKey: `${workflowId}/a`, status: 'released' })],
    });
    expect(outputs.undoAll).toEqual({
      released: ['a', 'b', 'check'].map((n) =>
        expect.objectContaining({ idempotencyKey: `${workflowId}/${n}`, status: 'released' }),
      ),
    });
    expect(await item(s)).toMatchObject({ quantityReserved: 0, quantityAvailable: 10 });
  });

  it('fails release_inventory for an unknown key', async () => {
    const { execution } = await runRule(
      [{ name: 'undo', type: 'release_inventory', config: { idempotencyKey: 'no-such-key' } }],
      {},
    );
    expect(execution.status).toBe('failed');
    expect(execution.error).toContain('does not exist');
  });
  it('returns the stock of a run cancelled after it allocated', async () => {
    const s = sku();
    await setStock(s, 10);
    const rule = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: `inv-cancel-${randomUUID()}`,
        entity: 'orders',
        trigger: { type: 'manual' },
        actions: [
          { name: 'reserve', type: 'allocate_inventory', config: { orderId: 'o-x', lines: [{ sku: s, quantity: 6 }] } },
          { name: 'wait', type: 'delay', config: { duration: '10m' } },
        ],
      });
    const run = await sys.http.post(`/v1/rules/${rule.body.id}/run`).set(sys.auth).send({ data: {} });
    await eventually(async () => ((await item(s)).quantityReserved === 6 ? true : undefined));
    expect((await sys.http.post(`/v1/executions/${run.body.executionId}/cancel`).set(sys.auth)).status).toBe(202);
    await eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${run.body.executionId}`).set(sys.auth);
      return res.body.status === 'cancelled' ? true : undefined;
    });
    expect(await item(s)).toMatchObject({ quantityReserved: 0, quantityAvailable: 10 });
  });
});
