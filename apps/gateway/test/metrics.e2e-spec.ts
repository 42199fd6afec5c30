import { randomBytes } from 'node:crypto';
import type { TestSystem } from './test-system';
import { startTestSystem } from './test-system';

/**
 * `/metrics` is unauthenticated, so it must carry no tenant data, and what tenants send must not
 * grow its series: labels hold route patterns, status codes and types, never names or raw paths.
 */
describe('/metrics: bounded labels, no tenant data', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ withoutWorker: true });
  });
  afterAll(async () => {
    await sys?.close();
  });

  /** The sample lines (one per series) of the gateway's own metrics. */
  async function series(): Promise<string[]> {
    const res = await sys.http.get('/metrics');
    expect(res.status).toBe(200);
    return res.text.split('\n').filter((line) => line.startsWith('ruleflow_') && !line.startsWith('ruleflow_gateway_'));
  }

  it('300 new entity names and 300 unknown paths add a constant number of series, and none of the names', async () => {
    const tag = randomBytes(4).toString('hex');
    const entities = Array.from({ length: 300 }, (_, i) => `ent_${tag}_${i}`);
    const paths = Array.from({ length: 300 }, (_, i) => `/v1/nope-${tag}-${i}`);
    // Warm up every route the loop below uses, so the baseline holds their series already.
    await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({ entity: `warm_${tag}`, type: 'on_create', data: {} });
    await sys.http.get(`/v1/nope-warm-${tag}`).set(sys.auth);
    await sys.http.get(`/v1/rules/3f1c1f8e-9d55-4a55-9a3c-${tag}0000`).set(sys.auth);
    await series(); // the scrape itself is a route too
    const before = await series();

    for (const [i, entity] of entities.entries()) {
      const res = await sys.http.post('/v1/events').set(sys.auth).send({ entity, type: 'on_create', data: { i } });
      expect(res.status).toBe(202);
    }
    for (const path of paths) expect((await sys.http.get(path).set(sys.auth)).status).toBe(404);
    for (let i = 0; i < 300; i++) {
      const id = `3f1c1f8e-9d55-4a55-9a3c-${tag}${String(i).padStart(4, '0')}`;
      expect((await sys.http.get(`/v1/rules/${id}`).set(sys.auth)).status).toBe(404);
    }

    const after = await series();
    const text = after.join('\n');
    expect(after.length - before.length).toBeLessThanOrEqual(10);
    expect(text).not.toContain(tag);
    expect(text).not.toContain('nope');
    // Route labels are patterns; the unknown paths share one series.
    expect(text).toMatch(/ruleflow_http_requests_total\{method="GET",route="\/v1\/rules\/:id",status="404"\}/);
    expect(text).toMatch(/ruleflow_http_requests_total\{method="GET",route="unmatched",status="404"\} (\d+)/);
    expect(text).toMatch(/ruleflow_events_ingested_total\{type="on_create"\} 301$/m);
  });
});
