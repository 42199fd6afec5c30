import { SECRET_MASK } from '@ruleflow/rules';
import { maskRuleRecord } from './rule.mapper';

const webhook = (name: string) => ({
  name,
  type: 'webhook',
  config: { url: 'http://127.0.0.1:9/x', secret: 'enc:v1:sealed', headers: { Authorization: 'enc:v1:token', X: 'y' } },
});

describe('maskRuleRecord (a stored rule version as the API shows it)', () => {
  it('masks the secrets of both action lists, and nothing else', () => {
    const record = { name: 'r', actions: [webhook('erp')], onFailure: [webhook('alert')] };
    const masked = maskRuleRecord(record) as typeof record;
    for (const action of [...masked.actions, ...masked.onFailure]) {
      expect(action.config).toEqual({
        url: 'http://127.0.0.1:9/x',
        secret: SECRET_MASK,
        headers: { Authorization: SECRET_MASK, X: 'y' },
      });
    }
    expect(masked.onFailure[0]!.name).toBe('alert');
    // The stored record is left as it is.
    expect(record.onFailure[0]!.config.secret).toBe('enc:v1:sealed');
  });

  it('shows onFailure [] for a version recorded before onFailure existed', () => {
    expect(maskRuleRecord({ name: 'r', actions: [] })).toEqual({ name: 'r', actions: [], onFailure: [] });
  });
});
