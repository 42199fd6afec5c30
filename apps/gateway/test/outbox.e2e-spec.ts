import { startHttpReceiver } from '@ruleflow/testing';
import request from 'supertest';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

describe('an accepted event is never lost', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys?.close();
  });

  it('stores the runs durably while Temporal is unreachable and starts them when a gateway can', async () => {
    const receiver = await startHttpReceiver();
    try {
      const rule = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({
          name: 'outbox',
          entity: 'parcels',
          trigger: { type: 'on_create' },
          actions: [{ type: 'webhook', config: { url: `${receiver.url}/p` } }],
        });
      expect(rule.status).toBe(201);

      // A gateway that cannot reach Temporal: the event is accepted (durable) but nothing starts.
      await sys.app.close();
      const cut = await sys.startGateway({ TEMPORAL_ADDRESS: '127.0.0.1:1', OUTBOX_POLL_MS: '60000' });
      const accepted = await request(cut.getHttpServer())
        .post('/v1/events')
        .set(sys.auth)
        .send({ id: 'evt-outbox-1', entity: 'parcels', type: 'on_create', data: { id: 7 } });
      expect(accepted.status).toBe(202);
      const executionId = accepted.body.executions[0].executionId as string;
      const stored: Array<{ status: string; dispatched_at: Date | null }> = await sys.db.query(
        `SELECT status, dispatched_at FROM executions WHERE id = $1`,
        [executionId],
      );
      expect(stored[0]).toEqual({ status: 'pending', dispatched_at: null });
      await cut.close(); // the process "dies" with the run unstarted

      // A healthy gateway comes up: its outbox sweep starts the run, which completes.
      const healthy = await sys.startGateway();
      const done = await eventually(async () => {
        const res = await request(healthy.getHttpServer()).get(`/v1/executions/${executionId}`).set(sys.auth);
        return res.body.status === 'success' ? res.body : undefined;
      }, 60000);
      expect(done.runId).toEqual(expect.any(String));
      expect(receiver.requests).toHaveLength(1);
      await healthy.close();
    } finally {
      await receiver.close();
    }
  });
});
