import { actionIdempotencyKey } from './idempotency-keys';

// These strings are stored (alerts, inventory allocations, notification deliveries) and compared on
// every retry of an in-flight run: a changed format would raise a second alert, reserve stock twice
// or send a notification again. They are pinned here exactly as they shipped.
describe('actionIdempotencyKey', () => {
  const workflowId = 'rule-r1-e1';

  it.each([
    ['create_alert', 'raise', 'rule-r1-e1/raise'],
    ['allocate_inventory', 'reserve', 'rule-r1-e1/reserve'],
    ['send_notification', 'notify', 'rule-r1-e1:notify'],
  ] as const)('%s keys are <workflowId><separator><actionName>', (type, actionName, expected) => {
    expect(actionIdempotencyKey(type, workflowId, actionName)).toBe(expected);
  });

  it('keeps chained and rerun workflow ids whole', () => {
    expect(actionIdempotencyKey('allocate_inventory', 'rule-r2-e1-after-x1', 'a')).toBe('rule-r2-e1-after-x1/a');
    expect(actionIdempotencyKey('send_notification', 'rule-r1-e1-rerun-x2', 'n')).toBe('rule-r1-e1-rerun-x2:n');
  });
});
