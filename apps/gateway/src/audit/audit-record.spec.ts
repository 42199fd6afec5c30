import type { AuditedRequest } from './audit-record';
import { describeCaller, describeChange, MAX_USER_AGENT } from './audit-record';

const req = (
  method: string,
  path: string,
  params: Record<string, string> = {},
  body: unknown = {},
): AuditedRequest => ({
  method,
  path,
  params,
  body,
});

describe('describeChange', () => {
  it.each([
    ['POST', '/v1/rules', {}, { id: 'r1' }, 'create', 'rule', 'r1'],
    ['PATCH', '/v1/rules/:id', { id: 'r1' }, { id: 'r1' }, 'update', 'rule', 'r1'],
    ['PUT', '/v1/inventory/items/:sku', { sku: 'SKU-1' }, { sku: 'SKU-1' }, 'update', 'inventory_item', 'SKU-1'],
    ['DELETE', '/v1/rules/:id', { id: 'r1' }, undefined, 'delete', 'rule', 'r1'],
    ['POST', '/v1/rules/:id/activate', { id: 'r1' }, { id: 'r1' }, 'activate', 'rule', 'r1'],
    [
      'POST',
      '/v1/rules/:id/versions/:version/restore',
      { id: 'r1', version: '2' },
      { id: 'r1' },
      'restore',
      'rule',
      'r1',
    ],
    ['POST', '/v1/webhooks/:id/rotate-secret', { id: 'w1' }, {}, 'rotate-secret', 'webhook', 'w1'],
    ['POST', '/v1/rules/reorder', {}, [{ id: 'r1' }], 'reorder', 'rule', null],
    ['POST', '/v1/executions/rerun', {}, { count: 2 }, 'rerun', 'execution', null],
    ['POST', '/v1/maintenance/cleanup', {}, {}, 'cleanup', 'maintenance', null],
    ['POST', '/v1/api-keys', {}, { id: 'k1', key: 'rf_secret' }, 'create', 'api_key', 'k1'],
    ['DELETE', '/v1/api-keys/:id', { id: 'k1' }, undefined, 'delete', 'api_key', 'k1'],
    ['POST', '/v1/action-templates', {}, { id: 't1' }, 'create', 'action_template', 't1'],
    ['POST', '/v1/rules/:id/dependencies', { id: 'r1' }, { id: 'd1' }, 'create', 'rule_dependency', 'd1'],
    [
      'DELETE',
      '/v1/rules/:id/dependencies/:childRuleId',
      { id: 'r1', childRuleId: 'r2' },
      undefined,
      'delete',
      'rule_dependency',
      'r2',
    ],
    ['POST', '/v1/inbox/:recipientId/:id/read', { recipientId: 'u1', id: 'n1' }, {}, 'read', 'notification', 'n1'],
    [
      'POST',
      '/v1/inventory/allocations/:idempotencyKey/release',
      { idempotencyKey: 'o-1' },
      {},
      'release',
      'inventory_allocation',
      'o-1',
    ],
    ['POST', '/v1/widgets', {}, { id: 'x1' }, 'create', 'widget', 'x1'],
  ])('%s %s', (method, path, params, response, action, resourceType, resourceId) => {
    expect(describeChange(req(method, path, params), response)).toMatchObject({ action, resourceType, resourceId });
  });

  it('summarises the body by its field names and name only', () => {
    const record = describeChange(
      {
        method: 'POST',
        path: '/v1/api-keys',
        params: {},
        body: { name: 'ci', scopes: ['admin'], secret: 'hunter2' },
        requestId: 'req-1',
      },
      { id: 'k1', name: 'ci', key: 'rf_plaintext', prefix: 'rf_plainte' },
    );
    expect(record.details).toEqual({
      method: 'POST',
      path: '/v1/api-keys',
      requestId: 'req-1',
      fields: ['name', 'scopes', 'secret'],
      name: 'ci',
    });
    expect(JSON.stringify(record)).not.toMatch(/hunter2|rf_plain|admin/);
  });

  it('takes the name from the answer when the body has none, and keeps route params', () => {
    const record = describeChange(req('POST', '/v1/rules/:id/deactivate', { id: 'r1' }), { id: 'r1', name: 'orders' });
    expect(record.details).toEqual({
      method: 'POST',
      path: '/v1/rules/:id/deactivate',
      params: { id: 'r1' },
      fields: [],
      name: 'orders',
    });
  });

  it('ignores a non-string id or name in the answer', () => {
    const record = describeChange(req('POST', '/v1/rules'), { id: 42, name: { x: 1 } });
    expect(record.resourceId).toBeNull();
    expect(record.details).not.toHaveProperty('name');
  });
});

describe('describeCaller', () => {
  it('keeps the address and a bounded User-Agent', () => {
    expect(describeCaller('203.0.113.7', 'curl/8.5.0')).toEqual({ ip: '203.0.113.7', userAgent: 'curl/8.5.0' });
    expect(describeCaller('::1', 'x'.repeat(2000)).userAgent).toHaveLength(MAX_USER_AGENT);
    expect(describeCaller(undefined, undefined)).toEqual({ ip: null, userAgent: null });
    expect(describeCaller('10.0.0.1', ['first', 'second'])).toEqual({ ip: '10.0.0.1', userAgent: 'first' });
  });
});
