import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { workflowBundle } from '@ruleflow/testing';
import { Worker } from '@temporalio/worker';

/**
 * Determinism guard: every committed history of a shipped workflow must replay against the current
 * code. A change to the command sequence without `patched()` fails here.
 * Re-record with RECORD_HISTORIES=1 (see rule-execution.workflow.int-spec.ts) only for new histories.
 */
describe('Workflow replay (every shipped workflow type)', () => {
  const dir = path.join(__dirname, '../test/histories');
  // One prefix per shipped workflow type: RuleExecutionWorkflow, ScheduledRuleWorkflow, RetentionCleanupWorkflow,
  // WebhookDeliveryWorkflow (recorded by webhook-delivery.workflow.int-spec.ts), IvrSessionWorkflow
  // (recorded by ivr-session.workflow.int-spec.ts).
  const prefixes = ['rule-execution.', 'scheduled-rule.', 'retention.', 'webhook-delivery.', 'ivr-session.'];
  const files = readdirSync(dir).filter((f) => prefixes.some((p) => f.startsWith(p)) && f.endsWith('.json'));

  it('has committed histories', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(prefixes)('has committed histories of %s*', (prefix) => {
    expect(files.filter((f) => f.startsWith(prefix)).length).toBeGreaterThan(0);
  });

  it.each(files)('replays %s', async (file) => {
    const history = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    await expect(
      Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, `replay-${file}`),
    ).resolves.toBeUndefined();
  });
});
