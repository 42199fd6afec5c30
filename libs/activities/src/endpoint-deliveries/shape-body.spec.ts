import { TransformSandbox } from '@ruleflow/outbound';
import { shapeBody } from './endpoint-delivery.activities';

/**
 * An endpoint's shaping is written for entity records: it applies to entity events (and the test
 * message), never to system events, so an endpoint subscribed to `orders.*` and `execution.failed`
 * with an orders field selection still receives every failure in full.
 */
describe('shapeBody: shaping applies to entity events only', () => {
  const sandbox = new TransformSandbox({ poolSize: 1, timeoutMs: 2_000, memoryMb: 64, queueLimit: 5 });
  afterAll(() => sandbox.close());

  const timestamp = '2026-11-29T12:00:00.000Z';
  const order = { id: 'o-1', status: 'shipped', total: 120, customer: { email: 'ada@example.com', tier: 'gold' } };
  const failure = {
    executionId: '6f1c2f1e-5b2a-4b8e-9d7c-0a1b2c3d4e5f',
    ruleId: '0d9a7c1e-2b3f-4a5b-8c6d-7e8f9a0b1c2d',
    status: 'failed',
    error: 'webhook erp: 503 Service Unavailable',
  };
  type Shaping = Partial<Parameters<typeof shapeBody>[1]>;
  const body = async (type: string, data: unknown, shaping: Shaping) => {
    const endpoint = { fieldSelection: null, payloadTemplate: null, transform: null, ...shaping };
    return JSON.parse(await shapeBody({ type, timestamp, data }, endpoint, sandbox)) as unknown;
  };

  it('selects, templates and transforms an entity event', async () => {
    const selected = { fieldSelection: ['id', 'customer.email'] };
    await expect(body('orders.on_update', order, selected)).resolves.toEqual({
      type: 'orders.on_update',
      timestamp,
      data: { id: 'o-1', customer: { email: 'ada@example.com' } },
    });
    const all = {
      fieldSelection: ['id', 'total'],
      payloadTemplate: { orderId: '{{ data.id }}', cents: '{{ data.total }}', kind: '{{ event.type }}' },
      transform: '$merge([$, {"cents": cents * 100}])',
    };
    await expect(body('orders.on_create', order, all)).resolves.toEqual({
      type: 'orders.on_create',
      timestamp,
      data: { orderId: 'o-1', cents: 12000, kind: 'orders.on_create' },
    });
  });

  it('delivers every system event intact, whatever the shaping', async () => {
    const shaping = {
      fieldSelection: ['id', 'status'],
      payloadTemplate: { orderId: '{{ data.id }}' },
      transform: '{"only": id}',
    };
    for (const type of ['execution.failed', 'execution.succeeded', 'alert.created', 'delivery.exhausted']) {
      await expect(body(type, failure, shaping)).resolves.toEqual({ type, timestamp, data: failure });
    }
  });

  it('shapes the test message as an entity event would be (it tries the settings)', async () => {
    await expect(body('webhook.test', { id: 'x', noise: true }, { fieldSelection: ['id'] })).resolves.toEqual({
      type: 'webhook.test',
      timestamp,
      data: { id: 'x' },
    });
  });
});
