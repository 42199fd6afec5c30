import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver } from '@ruleflow/testing';
import {
  EventIdKey,
  RuleflowKindKey,
  RuleIdKey,
  RuleNameKey,
  RunStatusKey,
  SCHEDULED_RULE_WORKFLOW,
  TenantIdKey,
  TriggerTypeKey,
} from '@ruleflow/contract';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

/**
 * A `scheduled` rule end to end: created over HTTP (the gateway keeps its Temporal Schedule), fired
 * at once with `trigger()`, run by the real worker as one ScheduledRuleWorkflow that runs the rule
 * itself (one fire, one workflow), recorded as a `scheduled` execution, and the webhook receiver hit.
 */
describe('scheduled rules (end to end)', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;

  beforeAll(async () => {
    sys = await startTestSystem();
    receiver = await startHttpReceiver(() => ({ status: 200, body: JSON.stringify({ ok: true }) }));
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
  });

  async function createScheduledRule(path: string, body: Record<string, unknown> = {}) {
    const res = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: 'nightly report',
        entity: 'reports',
        // Never due during the test: only trigger() fires it.
        trigger: { type: 'scheduled', cron: '0 0 1 1 *' },
        actions: [
          {
            name: 'export',
            type: 'webhook',
            config: {
              url: `${receiver.url}${path}`,
              body: {
                rule: '{{rule.name}}',
                version: '{{rule.version}}',
                event: '{{event.type}}',
                at: '{{event.occurredAt}}',
              },
            },
          },
        ],
        ...body,
      });
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number; tenantId?: string };
  }

  /** Fire the rule's schedule now; resolves with the id of the ScheduledRuleWorkflow run it started. */
  async function fireNow(ruleId: string): Promise<string> {
    const handle = sys.temporal.schedule.getHandle(`rule-schedule-${ruleId}`);
    const before = (await handle.describe()).info.recentActions.length;
    await handle.trigger();
    return eventually(async () => {
      const actions = (await handle.describe()).info.recentActions;
      return actions.length > before ? actions.at(-1)!.action.workflow.workflowId : undefined;
    }, 10_000);
  }

  async function executionsOf(ruleId: string) {
    const res = await sys.http.get('/v1/executions').query({ ruleId }).set(sys.auth);
    expect(res.status).toBe(200);
    return res.body.items as Array<Record<string, any>>;
  }

  it('runs the rule when its schedule fires: a scheduled execution succeeds and the webhook is hit', async () => {
    const rule = await createScheduledRule('/nightly');
    const scheduledWorkflowId = await fireNow(rule.id);
    // The fires' ids name the rule after its schedule's id.
    const prefix = `rule-schedule-${rule.id}-nightly-report-`;
    expect(scheduledWorkflowId.startsWith(prefix)).toBe(true);
    const described = await sys.temporal.schedule.getHandle(`rule-schedule-${rule.id}`).describe();
    expect(described.state.note).toBe(`rule "nightly report" (${rule.id}) v1`);

    const result = await sys.temporal.workflow.getHandle(scheduledWorkflowId).result();
    expect(result).toMatchObject({ status: 'success', steps: { export: { statusCode: 200, body: { ok: true } } } });

    const [hit] = await receiver.waitFor(1);
    expect(hit!.path).toBe('/nightly');
    const sent = JSON.parse(hit!.body);
    expect(sent).toMatchObject({ rule: 'nightly report', version: 1, event: 'scheduled' });

    const executions = await executionsOf(rule.id);
    expect(executions).toHaveLength(1);
    const execution = executions[0]!;
    expect(execution).toMatchObject({
      id: (result as { executionId: string }).executionId,
      ruleId: rule.id,
      ruleVersion: 1,
      triggerType: 'scheduled',
      status: 'success',
      eventId: `schedule-${sent.at}`,
      workflowId: scheduledWorkflowId,
      actions: [expect.objectContaining({ name: 'export', status: 'success', attempts: 1 })],
    });
    // The fire time is the schedule's, the one Temporal put in the scheduled run's id.
    expect(new Date(sent.at).getTime()).toBe(new Date(scheduledWorkflowId.slice(prefix.length)).getTime());

    // The fire is the rule's run, with the run's search attributes; temporalUrl opens it.
    const run = await sys.temporal.workflow.getHandle(execution.workflowId).describe();
    expect(run.type).toBe(SCHEDULED_RULE_WORKFLOW);
    expect(run.runId).toBe(execution.runId);
    expect(execution.temporalUrl).toMatch(
      new RegExp(`/workflows/${encodeURIComponent(scheduledWorkflowId)}/${execution.runId}/user-metadata$`),
    );
    const attributes = run.typedSearchAttributes;
    expect(attributes.get(RuleflowKindKey)).toBe('rule_run');
    expect(attributes.get(RuleIdKey)).toBe(rule.id);
    expect(attributes.get(RuleNameKey)).toBe('nightly report');
    expect(attributes.get(TriggerTypeKey)).toBe('scheduled');
    expect(attributes.get(TenantIdKey)).toEqual(expect.any(String));
    expect(attributes.get(EventIdKey)).toBe(`schedule-${sent.at}`);
    expect(attributes.get(RunStatusKey)).toBe('success');
    // One fire, one workflow in the list.
    const listed = await eventually(async () => {
      const ids: string[] = [];
      for await (const w of sys.temporal.workflow.list({ query: `RuleId = "${rule.id}" AND RunStatus = "success"` }))
        ids.push(w.workflowId);
      return ids.length ? ids : undefined;
    }, 10_000);
    expect(listed).toEqual([scheduledWorkflowId]);

    const ruleNow = await sys.http.get(`/v1/rules/${rule.id}`).set(sys.auth);
    expect(ruleNow.body).toMatchObject({ executionCount: 1, lastExecutionStatus: 'success' });
  });

  it('each fire runs the rule as it is now, not as it was when the schedule was made', async () => {
    const rule = await createScheduledRule('/v1');
    await sys.http
      .patch(`/v1/rules/${rule.id}`)
      .set(sys.auth)
      .send({
        actions: [
          { name: 'export', type: 'webhook', config: { url: `${receiver.url}/v2`, body: { v: '{{rule.version}}' } } },
        ],
      })
      .expect(200);
    const scheduledWorkflowId = await fireNow(rule.id);
    await sys.temporal.workflow.getHandle(scheduledWorkflowId).result();
    const [hit] = await receiver.waitFor(1);
    expect(hit!.path).toBe('/v2');
    expect(JSON.parse(hit!.body)).toEqual({ v: 2 });
    expect((await executionsOf(rule.id))[0]).toMatchObject({ ruleVersion: 2, status: 'success' });
  });

  it('a fire of a rule that was deactivated or deleted in the meantime does nothing', async () => {
    const inactive = await createScheduledRule('/never');
    await sys.http.post(`/v1/rules/${inactive.id}/deactivate`).set(sys.auth).expect(200);
    const tenant: Array<{ tenant_id: string }> = await sys.db.query(`SELECT tenant_id FROM rules WHERE id = $1`, [
      inactive.id,
    ]);
    const tenantId = tenant[0]!.tenant_id;
    // A fire already on its way when the rule changed: started as the schedule would start it.
    const fire = (ruleId: string) =>
      sys.temporal.workflow.execute(SCHEDULED_RULE_WORKFLOW, {
        workflowId: `rule-schedule-${ruleId}-late-fire`,
        taskQueue: sys.config.temporal.taskQueue,
        args: [{ ruleId, tenantId }],
      });
    expect(await fire(inactive.id)).toBeNull();
    expect(await executionsOf(inactive.id)).toHaveLength(0);

    const deleted = await createScheduledRule('/never');
    await sys.http.delete(`/v1/rules/${deleted.id}`).set(sys.auth).expect(204);
    expect(await fire(deleted.id)).toBeNull();
    const rows: Array<{ n: number }> = await sys.db.query(
      `SELECT count(*)::int AS n FROM executions WHERE rule_id = $1`,
      [deleted.id],
    );
    expect(rows[0]!.n).toBe(0);
    expect(receiver.requests).toHaveLength(0);
  });

  it('a failing action fails the scheduled run too, and the execution records it', async () => {
    receiver.setHandler(() => ({ status: 400, body: 'no' }));
    try {
      const rule = await createScheduledRule('/rejects');
      const scheduledWorkflowId = await fireNow(rule.id);
      await expect(sys.temporal.workflow.getHandle(scheduledWorkflowId).result()).rejects.toThrow();
      const described = await sys.temporal.workflow.getHandle(scheduledWorkflowId).describe();
      expect(described.status.name).toBe('FAILED');
      expect(described.typedSearchAttributes.get(RunStatusKey)).toBe('failed');
      // The failures in the run's history (the webhook's, the run's) name no file of this machine.
      const history = JSON.stringify(await sys.temporal.workflow.getHandle(scheduledWorkflowId).fetchHistory());
      expect(history).toContain('webhook answered 400');
      expect(history).toContain('stackTrace');
      expect(history).not.toContain(process.cwd());
      const [execution] = await executionsOf(rule.id);
      expect(execution).toMatchObject({ triggerType: 'scheduled', status: 'failed', errorAction: 'export' });
    } finally {
      receiver.setHandler(() => ({ status: 200, body: JSON.stringify({ ok: true }) }));
    }
  });
});
