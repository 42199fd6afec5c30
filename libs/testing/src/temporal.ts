import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';

/** The Temporal server of this test run (started by global-setup, or the user's TEMPORAL_ADDRESS). */
export function testTemporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    throw new Error(
      'TEMPORAL_ADDRESS is not set: run integration tests through jest (libs/testing/src/global-setup.ts)',
    );
  }
  return address;
}

/** A task queue no other test (file, worker or run) uses, so workers never steal each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** The workflow bundle built once by global-setup, for `Worker.create({ workflowBundle })`. */
export function workflowBundle(): { codePath: string } {
  const codePath = process.env.RULEFLOW_TEST_WORKFLOW_BUNDLE;
  if (!codePath) {
    const why = process.env.RULEFLOW_TEST_WORKFLOW_BUNDLE_ERROR;
    throw new Error(
      why
        ? `the workflow bundle could not be built in global-setup:\n${why}`
        : 'RULEFLOW_TEST_WORKFLOW_BUNDLE is not set: run integration tests through jest (libs/testing/src/global-setup.ts)',
    );
  }
  return { codePath };
}

/** A connected Temporal client on the test server's `default` namespace. */
export async function connectTestClient(): Promise<{ client: Client; connection: Connection; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: testTemporalAddress() });
  const client = new Client({ connection, namespace: 'default' });
  return { client, connection, close: () => connection.close() };
}
