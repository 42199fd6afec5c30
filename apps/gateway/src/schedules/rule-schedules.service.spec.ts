import { ruleFireWorkflowId, ruleScheduleId } from './rule-schedules.service';

describe('rule schedule ids', () => {
  const id = '5f0c2a4e-8d1b-4c3e-9a7f-1b2c3d4e5f60';

  it('the schedule is named by the rule id only, so a rename keeps it', () => {
    expect(ruleScheduleId(id)).toBe(`rule-schedule-${id}`);
  });

  it("the fires' workflow id adds the rule's name as a slug", () => {
    expect(ruleFireWorkflowId({ id, name: 'Nightly Report (EU)' })).toBe(`rule-schedule-${id}-nightly-report-eu`);
    expect(ruleFireWorkflowId({ id, name: '  --Stock: re-order!  ' })).toBe(`rule-schedule-${id}-stock-re-order`);
  });

  it('keeps the slug short, and leaves it out when the name has no letter or digit it can keep', () => {
    const slug = ruleFireWorkflowId({ id, name: 'a'.repeat(100) }).slice(`rule-schedule-${id}-`.length);
    expect(slug).toBe('a'.repeat(40));
    expect(ruleFireWorkflowId({ id, name: 'Отчёт 📈' })).toBe(`rule-schedule-${id}`);
  });
});
