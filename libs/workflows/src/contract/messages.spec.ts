import { approvalDecisionUpdate, ivrInputUpdate, ivrSessionQuery, ivrSessionWorkflowId, pendingApprovalQuery } from '.';

// The contract is imported outside the workflow sandbox too (gateway, activities): its message
// definitions must load there and keep the names running workflows know them by.
describe('workflow messages', () => {
  it('load outside a workflow and keep their wire names', () => {
    expect(approvalDecisionUpdate).toMatchObject({ type: 'update', name: 'approvalDecision' });
    expect(pendingApprovalQuery).toMatchObject({ type: 'query', name: 'pendingApproval' });
    expect(ivrInputUpdate).toMatchObject({ type: 'update', name: 'ivrInput' });
    expect(ivrSessionQuery).toMatchObject({ type: 'query', name: 'ivrSession' });
    expect(ivrSessionWorkflowId('abc')).toBe('ivr-abc');
  });
});
