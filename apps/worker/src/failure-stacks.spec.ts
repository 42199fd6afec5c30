import { ApplicationFailure } from '@temporalio/common';
import { relativizeStack } from './failure-stacks';

describe('relativizeStack', () => {
  it('cuts the root off every frame of the error and of its causes, keeping the message', () => {
    const cause = new Error('socket hang up');
    cause.stack = 'Error: socket hang up\n    at connect (/srv/ruleflow/libs/outbound/src/http.ts:10:3)';
    const failure = ApplicationFailure.create({ message: 'webhook failed', cause });
    failure.stack =
      'ApplicationFailure: webhook failed\n' +
      '    at Function.create (/srv/ruleflow/node_modules/@temporalio/common/src/failure.ts:228:12)\n' +
      '    at deliver (/srv/ruleflow/libs/activities/src/webhook.ts:42:11)';
    relativizeStack(failure, '/srv/ruleflow');
    expect(failure.stack).toBe(
      'ApplicationFailure: webhook failed\n' +
        '    at Function.create (node_modules/@temporalio/common/src/failure.ts:228:12)\n' +
        '    at deliver (libs/activities/src/webhook.ts:42:11)',
    );
    expect(cause.stack).toBe('Error: socket hang up\n    at connect (libs/outbound/src/http.ts:10:3)');
  });

  it('leaves what is not an Error alone', () => {
    expect(() => relativizeStack('boom', '/srv/ruleflow')).not.toThrow();
  });
});
