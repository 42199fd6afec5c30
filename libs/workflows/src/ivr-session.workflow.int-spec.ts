import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createIvrSessionActivities, withTenantScopes } from '@ruleflow/activities';
import { createDataSource, IvrSessionRepository } from '@ruleflow/entities';
import type { IvrMenuSnapshot, IvrMenuTree } from '@ruleflow/rules';
import type { TestWorker } from '@ruleflow/testing';
import { insertTenants, openTestDataSource, startTestWorker, workflowBundle } from '@ruleflow/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import type { IvrSessionInput, IvrSessionResult } from './contract';
import {
  IVR_INVALID_DIGIT,
  IVR_SESSION_ENDED,
  IVR_SESSION_WORKFLOW,
  ivrBackUpdate,
  ivrHangUpUpdate,
  ivrInputUpdate,
  ivrSessionQuery,
  ivrSessionWorkflowId,
  ivrTimeoutUpdate,
} from './contract';

/**
 * IVR sessions end to end: the real workflow on the Temporal dev server over the real menu machine,
 * with the mirror activity writing `ivr_sessions` in PostgreSQL (row-level security on, as in the worker).
 */
describe('IvrSessionWorkflow (real Temporal and PostgreSQL)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  let db: DataSource;
  let workerDb: DataSource;
  let tenantId: string;
  let worker: TestWorker;
  let sessions: IvrSessionRepository;

  beforeAll(async () => {
    testDb = await openTestDataSource('ivr-session-spec');
    db = testDb.db;
    [tenantId] = (await insertTenants(db, 1)) as [string];
    sessions = new IvrSessionRepository(db);
    workerDb = createDataSource({ url: testDb.database.url, poolSize: 4, applicationName: 'ivr-session-worker' });
    await workerDb.initialize();
    const activities = withTenantScopes(
      createIvrSessionActivities({ ivrSessions: new IvrSessionRepository(workerDb) }),
    );
    worker = await startTestWorker(activities, 'wf-ivr');
    // An endpoint subscribed to calls: the session's start and end are offered to it.
    await db.query(
      `INSERT INTO webhooks (tenant_id, name, url, events, secret) VALUES ($1, 'calls', 'http://127.0.0.1:9/h', $2, 'x')`,
      [tenantId, ['call.*']],
    );
  });

  afterAll(async () => {
    await worker?.close();
    await workerDb?.destroy();
    await testDb?.close();
  });

  const ROOT = randomUUID();
  const BILLING = randomUUID();

  function menu(id: string, over: Partial<IvrMenuSnapshot>): IvrMenuSnapshot {
    return {
      id,
      name: 'menu',
      prompt: 'prompt',
      items: [],
      timeoutMs: 60_000,
      maxRetries: 3,
      invalidPrompt: null,
      timeoutPrompt: null,
      version: 1,
      ...over,
    };
  }

  function tree(over: Partial<IvrMenuSnapshot> = {}): IvrMenuTree {
    return {
      rootMenuId: ROOT,
      menus: {
        [ROOT]: menu(ROOT, {
          name: 'Main',
          prompt: 'Press 1 for billing, 9 to repeat, 0 for an agent',
          invalidPrompt: 'Not a choice.',
          items: [
            { digit: '1', label: 'Billing', action: 'submenu', target: BILLING },
            { digit: '9', label: 'Repeat', action: 'repeat' },
            { digit: '0', label: 'Agent', action: 'agent', target: 'queue-a' },
          ],
          ...over,
        }),
        [BILLING]: menu(BILLING, {
          name: 'Billing',
          prompt: 'Press 1 for a transfer, * to go back',
          items: [
            { digit: '1', label: 'Transfer', action: 'transfer', target: '+15550001' },
            { digit: '*', label: 'Back', action: 'back' },
          ],
        }),
      },
    };
  }

  async function start(
    t: IvrMenuTree = tree(),
    extra: Partial<IvrSessionInput> = {},
  ): Promise<{ sessionId: string; callId: string; handle: WorkflowHandle }> {
    const sessionId = randomUUID();
    const callId = `CA${sessionId.replace(/-/g, '')}`;
    const workflowId = ivrSessionWorkflowId(sessionId);
    await expect(
      sessions.create({ id: sessionId, tenantId, callId, caller: '+15551234', menuId: t.rootMenuId, workflowId }),
    ).resolves.toBe('created');
    const handle = await worker.client.workflow.start(IVR_SESSION_WORKFLOW, {
      workflowId,
      taskQueue: worker.taskQueue,
      args: [{ sessionId, tenantId, callId, caller: '+15551234', tree: t, ...extra } satisfies IvrSessionInput],
    });
    return { sessionId, callId, handle };
  }

  const press = (handle: WorkflowHandle, digit: string) => handle.executeUpdate(ivrInputUpdate, { args: [{ digit }] });

  async function rejection(promise: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    return cause as ApplicationFailure;
  }

  async function replays(handle: WorkflowHandle, name?: string): Promise<void> {
    const history = await handle.fetchHistory();
    await expect(
      Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, `replay-${handle.workflowId}`),
    ).resolves.toBeUndefined();
    if (name && process.env.RECORD_HISTORIES === '1') {
      writeFileSync(path.join(__dirname, `../test/histories/ivr-session.${name}.json`), historyToJSON(history));
    }
  }

  async function deliveries(sessionId: string) {
    const rows: Array<{ event_type: string; payload: { data: { sessionId: string; state: string } } }> = await db.query(
      `SELECT event_type, payload FROM deliveries WHERE tenant_id = $1 AND event_key LIKE $2 ORDER BY event_type DESC`,
      [tenantId, `call.%:${sessionId}`],
    );
    return rows;
  }

  it('walks menus (submenu, back, repeat, an invalid digit) to a transfer; mirrors every step; offers call.started and call.ended', async () => {
    const { sessionId, handle } = await start();
    expect(await press(handle, '1')).toEqual({
      state: 'awaiting_input',
      menuId: BILLING,
      prompt: 'Press 1 for a transfer, * to go back',
      action: 'submenu',
      target: BILLING,
      outcome: null,
    });
    // Answered after the workflow mirrored it: the row already shows the new menu.
    expect(await sessions.get(tenantId, sessionId)).toMatchObject({ menuId: BILLING, menuStack: [ROOT] });
    expect(await press(handle, '*')).toMatchObject({ menuId: ROOT, action: 'back', state: 'awaiting_input' });
    expect(await press(handle, '9')).toMatchObject({
      menuId: ROOT,
      action: 'repeat',
      prompt: expect.stringMatching(/^Press 1/),
    });
    expect(await press(handle, '5')).toMatchObject({ menuId: ROOT, prompt: 'Not a choice.', action: null });
    expect((await handle.query(ivrSessionQuery)).retryCount).toBe(1);
    expect(await handle.executeUpdate(ivrBackUpdate)).toMatchObject({ menuId: ROOT, action: 'back' });
    await press(handle, '1');
    expect(await press(handle, '1')).toEqual({
      state: 'ended',
      menuId: BILLING,
      prompt: null,
      action: 'transfer',
      target: '+15550001',
      outcome: { type: 'transfer', target: '+15550001' },
    });
    const result = (await handle.result()) as IvrSessionResult;
    expect(result).toMatchObject({ sessionId, outcome: { type: 'transfer', target: '+15550001' } });
    expect(result.digits).toEqual(['1', '*', '9', '5', '1', '1']);

    const row = await sessions.get(tenantId, sessionId);
    expect(row).toMatchObject({
      state: 'ended',
      menuId: BILLING,
      menuStack: [ROOT],
      outcome: { type: 'transfer', target: '+15550001' },
    });
    expect(row!.endedAt).not.toBeNull();
    expect(row!.history.map((h) => [h.input, h.result])).toEqual([
      ['1', 'submenu'],
      ['*', 'back'],
      ['9', 'repeat'],
      ['5', 'invalid'],
      [null, 'back'],
      ['1', 'submenu'],
      ['1', 'transfer'],
    ]);
    const offered = await deliveries(sessionId);
    expect(offered.map((d) => [d.event_type, d.payload.data.state])).toEqual([
      ['call.started', 'awaiting_input'],
      ['call.ended', 'ended'],
    ]);
    await replays(handle, 'walk-to-transfer.one-task-per-press');
  });

  it('rejects a malformed digit in the validator (nothing recorded) and any update once ended', async () => {
    const { handle } = await start();
    const bad = await rejection(press(handle, 'x'));
    expect(bad.type).toBe(IVR_INVALID_DIGIT);
    await rejection(press(handle, '12'));
    expect((await handle.query(ivrSessionQuery)).history).toEqual([]);
    expect(await press(handle, '0')).toMatchObject({ state: 'ended', outcome: { type: 'agent', target: 'queue-a' } });
    // Ended: the run is over (or finishing): neither input nor hang-up is taken.
    await expect(press(handle, '1')).rejects.toThrow();
    await expect(handle.executeUpdate(ivrHangUpUpdate)).rejects.toThrow();
    expect(((await handle.result()) as IvrSessionResult).outcome).toEqual({ type: 'agent', target: 'queue-a' });
  });

  it('takes one of two racing updates; the validator refuses the other once the first ended the session', async () => {
    const { handle } = await start();
    const [agent, hangup] = await Promise.allSettled([press(handle, '0'), handle.executeUpdate(ivrHangUpUpdate)]);
    const taken = [agent, hangup].filter((r) => r.status === 'fulfilled');
    const refused = [agent, hangup].filter((r) => r.status === 'rejected');
    expect(taken).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const reason = (refused[0] as PromiseRejectedResult).reason as unknown;
    expect(reason).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((reason as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(IVR_SESSION_ENDED);
    const outcome = ((await handle.result()) as IvrSessionResult).outcome;
    expect(outcome).toEqual((taken[0] as PromiseFulfilledResult<{ outcome: unknown }>).value.outcome);
    expect((await handle.query(ivrSessionQuery)).history).toHaveLength(1);
  });

  it('re-prompts on timeouts (a durable timer of the menu timeoutMs) and ends with max_retries past maxRetries', async () => {
    const { sessionId, handle } = await start(tree({ timeoutMs: 300, maxRetries: 2, timeoutPrompt: 'Still there?' }));
    const result = (await handle.result()) as IvrSessionResult;
    expect(result.outcome).toEqual({ type: 'max_retries', target: null });
    const row = await sessions.get(tenantId, sessionId);
    expect(row).toMatchObject({ state: 'ended', retryCount: 3, outcome: { type: 'max_retries' } });
    expect(row!.history.map((h) => h.result)).toEqual(['timeout', 'timeout', 'max_retries']);
    const history = await handle.fetchHistory();
    const timers = history.events!.filter((e) => e.timerStartedEventAttributes).length;
    expect(timers).toBe(3);
    await replays(handle, 'timeouts-to-max-retries.one-task-per-press');
  });

  it('leaves timeouts to the provider when it times callers out itself (the workflow timer is only a backstop)', async () => {
    const { handle } = await start(tree({ timeoutMs: 300, maxRetries: 0 }), { providerTimeouts: true });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await handle.query(ivrSessionQuery)).toMatchObject({ state: 'awaiting_input', retryCount: 0, history: [] });
    const history = await handle.fetchHistory();
    const timer = history.events!.find((e) => e.timerStartedEventAttributes)!.timerStartedEventAttributes!;
    expect(Number(timer.startToFireTimeout!.seconds)).toBeGreaterThanOrEqual(59); // 60 s from the last activity;
    // The provider reports the silence: one timeout, past maxRetries 0.
    expect(await handle.executeUpdate(ivrTimeoutUpdate)).toMatchObject({
      state: 'ended',
      outcome: { type: 'max_retries' },
    });
    expect(((await handle.result()) as IvrSessionResult).outcome).toEqual({ type: 'max_retries', target: null });
  });

  it('ends on hang-up and signals the waiting workflow with the outcome and digits', async () => {
    // Any running workflow records a signal in its history: another session stands in for an ivr_call run.
    const waiting = await start();
    const { sessionId, callId, handle } = await start(tree(), { notifyWorkflowId: waiting.handle.workflowId });
    await press(handle, '9');
    expect(await handle.executeUpdate(ivrHangUpUpdate)).toMatchObject({
      state: 'ended',
      outcome: { type: 'hangup', target: null },
    });
    expect(((await handle.result()) as IvrSessionResult).outcome).toEqual({ type: 'hangup', target: null });
    const history = await waiting.handle.fetchHistory();
    const signal = history.events!.find(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'ivrCallEnded',
    );
    expect(signal).toBeDefined();
    const payload = signal!.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!;
    expect(JSON.parse(Buffer.from(payload.data!).toString('utf8'))).toEqual({
      sessionId,
      callId,
      outcome: { type: 'hangup', target: null },
      digits: ['9'],
    });
    await waiting.handle.executeUpdate(ivrHangUpUpdate);
    // A notify target that does not exist does not fail the session.
    const lonely = await start(tree(), { notifyWorkflowId: `ivr-${randomUUID()}` });
    await lonely.handle.executeUpdate(ivrHangUpUpdate);
    expect(((await lonely.handle.result()) as IvrSessionResult).outcome).toEqual({ type: 'hangup', target: null });
  });

  it('continues as new after N changes, keeping its state, history and mirror', async () => {
    const { sessionId, handle } = await start(tree(), { continueAsNewAfter: 3 });
    const firstRun = (await handle.describe()).runId;
    await press(handle, '1');
    await press(handle, '*');
    await press(handle, '5');
    // The third change made the run continue as new; updates go on to the new run.
    let runId = firstRun;
    for (let i = 0; i < 50 && runId === firstRun; i++) {
      await new Promise((r) => setTimeout(r, 100));
      runId = (await handle.describe()).runId;
    }
    expect(runId).not.toBe(firstRun);
    const view = await handle.query(ivrSessionQuery);
    expect(view).toMatchObject({ sessionId, menuId: ROOT, retryCount: 1, menuStack: [] });
    expect(view.history.map((h) => h.result)).toEqual(['submenu', 'back', 'invalid']);
    await press(handle, '1');
    expect(await press(handle, '1')).toMatchObject({ state: 'ended', outcome: { type: 'transfer' } });
    const result = (await handle.result()) as IvrSessionResult;
    expect(result.digits).toEqual(['1', '*', '5', '1', '1']);
    const row = await sessions.get(tenantId, sessionId);
    expect(row!.history.map((h) => h.result)).toEqual(['submenu', 'back', 'invalid', 'submenu', 'transfer']);
    expect(row!.state).toBe('ended');
    // call.started once (not again after continue-as-new), call.ended once.
    expect((await deliveries(sessionId)).map((d) => d.event_type)).toEqual(['call.started', 'call.ended']);
  });
});
