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

/** A worker on a unique task queue of the test server, plus a client; `close()` stops both. */
export interface TestWorker {
  taskQueue: string;
  client: Client;
  close(): Promise<void>;
}

/**
 * Start a real worker running the bundled workflows with the given (often in-memory) activities,
 * for workflow tests on the real dev server.
 */
/**
 * Rule runs record themselves through the run journal (`recordRun`), which the worker composes from
 * the execution and chaining activities: tests that fake those get the journal composed from their
 * fakes the same way, so their calls are seen one by one.
 */
async function withRunJournal(activities: object): Promise<object> {
  if (!('markExecutionRunning' in activities) || 'recordRun' in activities) return activities;
  const { createRunJournalActivities } = await import('@ruleflow/activities');
  return { ...activities, ...createRunJournalActivities(activities as never, activities as never) };
}

export async function startTestWorker(activities: object, prefix = 'wf'): Promise<TestWorker> {
  // Loaded lazily: global-setup imports this file and has no use for the native worker.
  const { NativeConnection, Worker } = await import('@temporalio/worker');
  const taskQueue = uniqueTaskQueue(prefix);
  const client = await connectTestClient();
  const connection = await NativeConnection.connect({ address: testTemporalAddress() });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: workflowBundle(),
    activities: await withRunJournal(activities),
  });
  const running = worker.run();
  return {
    taskQueue,
    client: client.client,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
      await client.close();
    },
  };
}
