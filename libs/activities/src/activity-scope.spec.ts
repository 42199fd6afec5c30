import { currentDbScope } from '@ruleflow/entities';
import { ApplicationFailure } from '@temporalio/common';
import { LEGACY_EXECUTION_ACTIVITIES, SYSTEM_SCOPE_ACTIVITIES, withTenantScopes } from './activity-scope';

const TENANT = '5f0c6a1e-8d2b-4c3a-9e7f-1a2b3c4d5e6f';

/** Activities that report the database scope they ran in. */
const scoped = withTenantScopes({
  recordSomething: async (_input: { tenantId?: string; executionId: string }) => currentDbScope(),
  cleanupExecutions: async (_policy: { successDays: number; failedDays: number }) => currentDbScope(),
});

async function refusal(run: () => Promise<unknown>): Promise<unknown> {
  return run().then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('withTenantScopes (fail closed)', () => {
  it("runs an activity in the scope of its input's tenant", async () => {
    await expect(scoped.recordSomething({ tenantId: TENANT, executionId: 'e' })).resolves.toEqual({
      kind: 'tenant',
      tenantId: TENANT,
    });
  });

  it('refuses, for good and by name, a tenant activity called without a tenant', async () => {
    const err = await refusal(() => scoped.recordSomething({ executionId: 'e' }));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'MissingTenantScope', nonRetryable: true });
    expect((err as Error).message).toContain('recordSomething');
  });

  it.each([['not-a-uuid'], [''], [42], [null]])('refuses a tenant activity whose tenantId is %j', async (tenantId) => {
    const err = await refusal(() => scoped.recordSomething({ tenantId, executionId: 'e' } as never));
    expect(err).toMatchObject({ type: 'MissingTenantScope', nonRetryable: true });
  });

  it('refuses an activity called with no input at all', async () => {
    const err = await refusal(() => (scoped.recordSomething as (input?: unknown) => Promise<unknown>)());
    expect(err).toMatchObject({ type: 'MissingTenantScope', nonRetryable: true });
  });

  it('runs an activity named as needing every tenant in the system scope', async () => {
    expect(SYSTEM_SCOPE_ACTIVITIES).toContain('cleanupExecutions');
    await expect(scoped.cleanupExecutions({ successDays: 30, failedDays: 7 })).resolves.toEqual({ kind: 'system' });
  });

  it('never runs a named system activity in a tenant scope, whatever its input says', async () => {
    const input = { successDays: 30, failedDays: 7, tenantId: TENANT };
    await expect(scoped.cleanupExecutions(input)).resolves.toEqual({ kind: 'system' });
  });

  it('takes the list of system activities from its caller', async () => {
    const custom = withTenantScopes({ sweep: async (_input: object) => currentDbScope() }, ['sweep']);
    await expect(custom.sweep({})).resolves.toEqual({ kind: 'system' });
  });

  describe('rule runs started before inputs carried a tenant (in flight across an upgrade)', () => {
    const EXECUTION = '0b9d2c4e-1f3a-4b5c-8d7e-6f5a4b3c2d1e';
    const lookups: string[] = [];
    const tenantOf = async (executionId: string) => {
      lookups.push(executionId);
      return executionId === EXECUTION ? TENANT : null;
    };
    const legacy = withTenantScopes(
      {
        recordActionStarted: async (_input: { tenantId?: string; executionId: string }) => currentDbScope(),
        recordSomething: async (_input: { tenantId?: string; executionId: string }) => currentDbScope(),
      },
      SYSTEM_SCOPE_ACTIVITIES,
      tenantOf,
    );
    beforeEach(() => (lookups.length = 0));

    it('an execution-record activity without a tenant runs in the scope of the tenant owning its execution', async () => {
      expect(LEGACY_EXECUTION_ACTIVITIES).toEqual(
        expect.arrayContaining([
          'markExecutionRunning',
          'recordActionStarted',
          'recordActionResult',
          'completeExecution',
        ]),
      );
      await expect(legacy.recordActionStarted({ executionId: EXECUTION })).resolves.toEqual({
        kind: 'tenant',
        tenantId: TENANT,
      });
    });

    it('is refused when the execution does not exist, and never opens the system scope', async () => {
      const err = await refusal(() =>
        legacy.recordActionStarted({ executionId: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b' }),
      );
      expect(err).toMatchObject({ type: 'MissingTenantScope', nonRetryable: true });
    });

    it('applies to the named execution-record activities only', async () => {
      const err = await refusal(() => legacy.recordSomething({ executionId: EXECUTION }));
      expect(err).toMatchObject({ type: 'MissingTenantScope', nonRetryable: true });
      expect(lookups).toEqual([]);
    });

    it('never overrides a tenantId the input gives, even an invalid one', async () => {
      const err = await refusal(() => legacy.recordActionStarted({ tenantId: 'nope', executionId: EXECUTION }));
      expect(err).toMatchObject({ type: 'MissingTenantScope', nonRetryable: true });
      expect(lookups).toEqual([]);
    });
  });
});
