import type { RuleflowConfig } from '@ruleflow/config';
import { temporalUrl } from './execution.mapper';

describe('temporalUrl', () => {
  const config = { temporal: { uiUrl: 'http://localhost:8233', namespace: 'team a' } } as RuleflowConfig;

  it('opens the run on its User Metadata tab, where the summary and details show', () => {
    expect(temporalUrl(config, 'rule-r1-e/1', 'run-1')).toBe(
      'http://localhost:8233/namespaces/team%20a/workflows/rule-r1-e%2F1/run-1/user-metadata',
    );
  });

  it('without a run yet: the workflow, which opens its latest run', () => {
    expect(temporalUrl(config, 'rule-r1-e1', null)).toBe(
      'http://localhost:8233/namespaces/team%20a/workflows/rule-r1-e1',
    );
  });
});
