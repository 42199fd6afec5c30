/** Jest globalTeardown of the integration project: stop the shared services, remove their temp folder. */
import { TEST_STACK_KEY } from './global-setup';
import type { TestStack } from './test-stack';
import { stopTestStack } from './test-stack';

/** Stop the stack global-setup started. */
export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>)[TEST_STACK_KEY] as TestStack | undefined;
  if (stack) await stopTestStack(stack);
  delete (globalThis as Record<string, unknown>)[TEST_STACK_KEY];
}
