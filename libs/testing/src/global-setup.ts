/** Jest globalSetup of the integration project: one shared PostgreSQL, Temporal dev server and workflow bundle. */
import { startTestStack } from './test-stack';

/** Key on globalThis under which global-teardown finds the running stack. */
export const TEST_STACK_KEY = '__ruleflowTestStack';

/** Start the shared stack once per jest run and publish it via process.env. */
export default async function globalSetup(): Promise<void> {
  (globalThis as Record<string, unknown>)[TEST_STACK_KEY] = await startTestStack();
}
