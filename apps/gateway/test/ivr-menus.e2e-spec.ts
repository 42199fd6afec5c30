/**
 * IVR menus over HTTP (API.md "IVR (phone menus)"): validation (400 naming the field, nothing
 * written), the graph rules (submenu targets of the same tenant, no parent cycle, references block a
 * delete), versions, scopes and tenant isolation. No worker: menus are plain rows.
 */
import { IVR_LIMITS } from '@ruleflow/rules';
import type { TestSystem } from './test-system';
import { startTestSystem } from './test-system';

type Auth = { Authorization: string };
type Menu = Record<string, any>;

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('IVR menus API', () => {
  let sys: TestSystem;
  let a: Auth;
  let b: Auth;
  let aTenant: string;
  let readOnly: Auth;

  async function tenantWithKey(name: string, scopes: string[] = ['admin']): Promise<{ tenantId: string; auth: Auth }> {
    const tenant = await sys.http.post('/v1/tenants').set(sys.auth).send({ name });
    expect(tenant.status).toBe(201);
    const key = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: `${name} key`, tenantId: tenant.body.id, scopes });
    expect(key.status).toBe(201);
    return { tenantId: tenant.body.id, auth: { Authorization: `Bearer ${key.body.key}` } };
  }

  beforeAll(async () => {
    sys = await startTestSystem({ withoutWorker: true });
    const ta = await tenantWithKey('ivr-menus-a');
    a = ta.auth;
    aTenant = ta.tenantId;
    b = (await tenantWithKey('ivr-menus-b')).auth;
    const key = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: 'ivr read', tenantId: aTenant, scopes: ['ivr:read'] });
    readOnly = { Authorization: `Bearer ${key.body.key}` };
  });
  afterAll(async () => {
    await sys?.close();
  });

  const leafItems = [{ digit: '1', label: 'Agent', action: 'agent', target: 'support-queue' }];

  async function create(body: Record<string, unknown>, auth: Auth = a): Promise<Menu> {
    const res = await sys.http
      .post('/v1/ivr/menus')
      .set(auth)
      .send({ name: 'menu', prompt: 'Press 1.', items: leafItems, ...body });
    expect(res.status).toBe(201);
    return res.body as Menu;
  }

  async function menuCount(): Promise<number> {
    const rows: Array<{ n: number }> = await sys.db.query(`SELECT count(*)::int AS n FROM ivr_menus`);
    return rows[0]!.n;
  }

  describe('create and read', () => {
    it('answers 201 with every field and the defaults; GET and the list show it', async () => {
      const leaf = await create({ name: 'Support' });
      const res = await sys.http
        .post('/v1/ivr/menus')
        .set(a)
        .send({
          name: 'Main',
          prompt: 'Press 1 for support, 9 to hang up.',
          items: [
            { digit: '1', label: 'Support', action: 'submenu', target: leaf.id },
            { digit: '2', label: 'Billing', action: 'transfer', target: '+15550100' },
            { digit: '9', label: 'Bye', action: 'hangup' },
            { digit: '0', label: 'Again', action: 'repeat' },
            { digit: '*', label: 'Back', action: 'back' },
            { digit: '#', label: 'Queue', action: 'agent', target: 'q1' },
          ],
          invalidPrompt: 'Not a choice.',
        });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        name: 'Main',
        prompt: 'Press 1 for support, 9 to hang up.',
        items: [
          { digit: '1', label: 'Support', action: 'submenu', target: leaf.id },
          { digit: '2', label: 'Billing', action: 'transfer', target: '+15550100' },
          { digit: '9', label: 'Bye', action: 'hangup', target: null },
          { digit: '0', label: 'Again', action: 'repeat', target: null },
          { digit: '*', label: 'Back', action: 'back', target: null },
          { digit: '#', label: 'Queue', action: 'agent', target: 'q1' },
        ],
        timeoutMs: 10000,
        maxRetries: 3,
        invalidPrompt: 'Not a choice.',
        timeoutPrompt: null,
        parentMenuId: null,
        version: 1,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const got = await sys.http.get(`/v1/ivr/menus/${res.body.id}`).set(readOnly);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(res.body);
      const list = await sys.http.get('/v1/ivr/menus?limit=200').set(a);
      expect(list.status).toBe(200);
      expect(list.body.items[0].id).toBe(res.body.id);
      expect(list.body.items.map((m: Menu) => m.id)).toContain(leaf.id);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['no name', { name: undefined }, 'name'],
      ['an empty prompt', { prompt: '' }, 'prompt'],
      ['a prompt too long', { prompt: 'x'.repeat(IVR_LIMITS.promptMaxLength + 1) }, 'prompt'],
      ['no items', { items: [] }, 'items'],
      ['items not an array', { items: 'x' }, 'items'],
      ['a bad digit', { items: [{ digit: 'a', label: 'x', action: 'hangup' }] }, 'items.0.digit'],
      ['two digits in one', { items: [{ digit: '12', label: 'x', action: 'hangup' }] }, 'items.0.digit'],
      ['an unknown action', { items: [{ digit: '1', label: 'x', action: 'dance' }] }, 'items.0.action'],
      ['an empty label', { items: [{ digit: '1', label: '', action: 'hangup' }] }, 'items.0.label'],
      ['an unknown item field', { items: [{ digit: '1', label: 'x', action: 'hangup', extra: 1 }] }, 'items.0'],
      [
        'a digit used twice',
        {
          items: [
            { digit: '1', label: 'x', action: 'hangup' },
            { digit: '1', label: 'y', action: 'repeat' },
          ],
        },
        'items[1].digit',
      ],
      ['agent without target', { items: [{ digit: '1', label: 'x', action: 'agent' }] }, 'items[0].target'],
      ['transfer without target', { items: [{ digit: '1', label: 'x', action: 'transfer' }] }, 'items[0].target'],
      ['submenu without target', { items: [{ digit: '1', label: 'x', action: 'submenu' }] }, 'items[0].target'],
      [
        'submenu to an unknown menu',
        { items: [{ digit: '1', label: 'x', action: 'submenu', target: UNKNOWN }] },
        'items[0].target',
      ],
      [
        'submenu to a non-uuid',
        { items: [{ digit: '1', label: 'x', action: 'submenu', target: 'main' }] },
        'items[0].target',
      ],
      [
        'repeat with a target',
        { items: [{ digit: '1', label: 'x', action: 'repeat', target: 'x' }] },
        'items[0].target',
      ],
      ['a timeout too short', { timeoutMs: 10 }, 'timeoutMs'],
      ['a timeout not an integer', { timeoutMs: 1500.5 }, 'timeoutMs'],
      ['a null timeout', { timeoutMs: null }, 'timeoutMs'],
      ['too many retries', { maxRetries: 11 }, 'maxRetries'],
      ['negative retries', { maxRetries: -1 }, 'maxRetries'],
      ['an unknown parent', { parentMenuId: UNKNOWN }, 'parentMenuId'],
      ['a parent not a uuid', { parentMenuId: 'x' }, 'parentMenuId'],
      ['an unknown field', { color: 'red' }, 'color'],
      [
        'thirteen items',
        { items: Array.from({ length: 13 }, (_, i) => ({ digit: String(i % 10), label: 'x', action: 'hangup' })) },
        'items',
      ],
    ])('refuses %s with a 400 naming the field, writing nothing', async (_name, body, field) => {
      const before = await menuCount();
      const res = await sys.http
        .post('/v1/ivr/menus')
        .set(a)
        .send({ name: 'menu', prompt: 'Press 1.', items: leafItems, ...body });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(field);
      expect(await menuCount()).toBe(before);
    });
  });

  describe('update', () => {
    it('bumps the version on each change and keeps it on an empty body', async () => {
      const menu = await create({});
      const res = await sys.http
        .patch(`/v1/ivr/menus/${menu.id}`)
        .set(a)
        .send({ prompt: 'New prompt.', maxRetries: 0 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ prompt: 'New prompt.', maxRetries: 0, version: 2, name: 'menu' });
      const items = await sys.http
        .patch(`/v1/ivr/menus/${menu.id}`)
        .set(a)
        .send({ items: [{ digit: '5', label: 'self', action: 'submenu', target: menu.id }], invalidPrompt: 'No.' });
      expect(items.status).toBe(200);
      expect(items.body).toMatchObject({ version: 3, invalidPrompt: 'No.', items: [{ digit: '5', target: menu.id }] });
      const cleared = await sys.http.patch(`/v1/ivr/menus/${menu.id}`).set(a).send({ invalidPrompt: null });
      expect(cleared.body).toMatchObject({ version: 4, invalidPrompt: null });
      const empty = await sys.http.patch(`/v1/ivr/menus/${menu.id}`).set(a).send({});
      expect(empty.body.version).toBe(4);
    });

    it('refuses bad fields with a 400 naming them and changes nothing', async () => {
      const menu = await create({});
      for (const [body, field] of [
        [{ name: null }, 'name'],
        [{ items: null }, 'items'],
        [{ items: [{ digit: '1', label: 'x', action: 'submenu', target: UNKNOWN }] }, 'items[0].target'],
        [{ timeoutMs: 999_999 }, 'timeoutMs'],
      ] as Array<[Record<string, unknown>, string]>) {
        const res = await sys.http.patch(`/v1/ivr/menus/${menu.id}`).set(a).send(body);
        expect(res.status).toBe(400);
        expect(JSON.stringify(res.body)).toContain(field);
      }
      const after = await sys.http.get(`/v1/ivr/menus/${menu.id}`).set(a);
      expect(after.body).toEqual(menu);
    });

    it('allows submenu cycles but no parent cycle', async () => {
      const top = await create({ name: 'top' });
      const child = await create({ name: 'child', parentMenuId: top.id });
      const grandchild = await create({ name: 'grandchild', parentMenuId: child.id });
      // Submenu cycle: top → child → top.
      expect(
        (
          await sys.http
            .patch(`/v1/ivr/menus/${top.id}`)
            .set(a)
            .send({ items: [{ digit: '1', label: 'c', action: 'submenu', target: child.id }] })
        ).status,
      ).toBe(200);
      expect(
        (
          await sys.http
            .patch(`/v1/ivr/menus/${child.id}`)
            .set(a)
            .send({ items: [{ digit: '1', label: 't', action: 'submenu', target: top.id }] })
        ).status,
      ).toBe(200);
      // top's own descendants (and top itself) cannot become its parent.
      for (const parent of [grandchild.id, child.id, top.id]) {
        const res = await sys.http.patch(`/v1/ivr/menus/${top.id}`).set(a).send({ parentMenuId: parent });
        expect(res.status).toBe(400);
        expect(res.body.message).toEqual(expect.stringContaining('parentMenuId'));
      }
      const moved = await sys.http.patch(`/v1/ivr/menus/${grandchild.id}`).set(a).send({ parentMenuId: top.id });
      expect(moved.body).toMatchObject({ parentMenuId: top.id, version: 2 });
      const orphan = await sys.http.patch(`/v1/ivr/menus/${grandchild.id}`).set(a).send({ parentMenuId: null });
      expect(orphan.body.parentMenuId).toBeNull();
    });

    it(`refuses a tree of more than ${IVR_LIMITS.treeMenusMax} menus`, async () => {
      let last = await create({ name: 'chain-0' });
      for (let i = 1; i < IVR_LIMITS.treeMenusMax; i += 1) {
        last = await create({
          name: `chain-${i}`,
          items: [{ digit: '1', label: 'n', action: 'submenu', target: last.id }],
        });
      }
      const before = await menuCount();
      const res = await sys.http
        .post('/v1/ivr/menus')
        .set(a)
        .send({ name: 'over', prompt: 'p', items: [{ digit: '1', label: 'n', action: 'submenu', target: last.id }] });
      expect(res.status).toBe(400);
      expect(res.body.message).toEqual(expect.stringContaining('items'));
      expect(await menuCount()).toBe(before);
    });
  });

  describe('delete', () => {
    it('refuses (409) a submenu target or a parent, then deletes once nothing names it', async () => {
      const target = await create({ name: 'target' });
      const parent = await create({ name: 'parent' });
      const user = await create({
        name: 'user',
        parentMenuId: parent.id,
        items: [{ digit: '1', label: 't', action: 'submenu', target: target.id }],
      });
      expect((await sys.http.delete(`/v1/ivr/menus/${target.id}`).set(a)).status).toBe(409);
      expect((await sys.http.delete(`/v1/ivr/menus/${parent.id}`).set(a)).status).toBe(409);
      expect((await sys.http.delete(`/v1/ivr/menus/${user.id}`).set(a)).status).toBe(204);
      expect((await sys.http.delete(`/v1/ivr/menus/${target.id}`).set(a)).status).toBe(204);
      expect((await sys.http.delete(`/v1/ivr/menus/${parent.id}`).set(a)).status).toBe(204);
      expect((await sys.http.get(`/v1/ivr/menus/${target.id}`).set(a)).status).toBe(404);
    });

    it('never leaves a submenu target deleted under concurrent deletes and creates (writes are serialized)', async () => {
      const targets = await Promise.all(Array.from({ length: 10 }, (_, i) => create({ name: `race-${i}` })));
      const answers = await Promise.all(
        targets.flatMap((t) => [
          sys.http.delete(`/v1/ivr/menus/${t.id}`).set(a),
          sys.http
            .post('/v1/ivr/menus')
            .set(a)
            .send({ name: 'racer', prompt: 'p', items: [{ digit: '1', label: 'x', action: 'submenu', target: t.id }] }),
        ]),
      );
      for (let i = 0; i < targets.length; i += 1) {
        const [del, made] = [answers[2 * i]!, answers[2 * i + 1]!];
        // Either the delete came first (the create finds no target) or the create did (the delete is refused).
        expect([
          [204, 400],
          [409, 201],
        ]).toContainEqual([del.status, made.status]);
      }
      const dangling: Array<{ n: number }> = await sys.db.query(
        `SELECT count(*)::int AS n FROM ivr_menus m, jsonb_array_elements(m.items) item
          WHERE item->>'action' = 'submenu' AND NOT EXISTS (SELECT 1 FROM ivr_menus t WHERE t.id::text = item->>'target')`,
      );
      expect(dangling[0]!.n).toBe(0);
    });

    it('deletes a menu that is only its own submenu', async () => {
      const menu = await create({});
      await sys.http
        .patch(`/v1/ivr/menus/${menu.id}`)
        .set(a)
        .send({ items: [{ digit: '1', label: 'me', action: 'submenu', target: menu.id }] });
      expect((await sys.http.delete(`/v1/ivr/menus/${menu.id}`).set(a)).status).toBe(204);
    });

    it('refuses (409) the menu of a phone line', async () => {
      const exists: Array<{ present: boolean }> = await sys.db.query(
        `SELECT to_regclass('ivr_lines') IS NOT NULL AS present`,
      );
      if (!exists[0]!.present) return; // the phone lines' migration has not landed
      const menu = await create({});
      await sys.db.query(
        `INSERT INTO ivr_lines (tenant_id, name, menu_id, account_sid, auth_token, phone_number, token_hash, token_prefix)
         VALUES ($1, 'line', $2, 'AC0', 'enc', '+15550000', md5(random()::text), 'x')`,
        [aTenant, menu.id],
      );
      expect((await sys.http.delete(`/v1/ivr/menus/${menu.id}`).set(a)).status).toBe(409);
    });
  });

  describe('scopes and tenants', () => {
    it('needs ivr:write to write', async () => {
      const res = await sys.http.post('/v1/ivr/menus').set(readOnly).send({ name: 'm', prompt: 'p', items: leafItems });
      expect(res.status).toBe(403);
    });

    it("answers 404 for another tenant's menu and refuses it as a submenu target or parent", async () => {
      const mine = await create({}, a);
      for (const call of [
        sys.http.get(`/v1/ivr/menus/${mine.id}`).set(b),
        sys.http.patch(`/v1/ivr/menus/${mine.id}`).set(b).send({ name: 'x' }),
        sys.http.delete(`/v1/ivr/menus/${mine.id}`).set(b),
        sys.http.get('/v1/ivr/menus/not-a-uuid').set(a),
      ]) {
        expect((await call).status).toBe(404);
      }
      const list = await sys.http.get('/v1/ivr/menus?limit=200').set(b);
      expect(list.body.items.map((m: Menu) => m.id)).not.toContain(mine.id);
      const target = await sys.http
        .post('/v1/ivr/menus')
        .set(b)
        .send({ name: 'x', prompt: 'p', items: [{ digit: '1', label: 'x', action: 'submenu', target: mine.id }] });
      expect(target.status).toBe(400);
      expect(target.body.message).toEqual(expect.stringContaining('items[0].target'));
      const parent = await sys.http
        .post('/v1/ivr/menus')
        .set(b)
        .send({ name: 'x', prompt: 'p', items: leafItems, parentMenuId: mine.id });
      expect(parent.status).toBe(400);
      expect((await sys.http.get(`/v1/ivr/menus/${mine.id}`).set(a)).body.version).toBe(1);
    });
  });
});
