/**
 * The plain alternative the IVR benchmark measures Ruleflow against: a hand-written Temporal workflow
 * with one Update handler that answers at once (no menu machine, no mirror activity, no HTTP). The
 * press that ends the call (`0`) ends the run. Bundled for the sandbox by the benchmark's own worker.
 */
import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

export const plainPress = defineUpdate<{ key: string; presses: number }, [string]>('plainPress');

export async function PlainUpdateWorkflow(): Promise<number> {
  let presses = 0;
  let ended = false;
  setHandler(plainPress, (key) => {
    presses++;
    if (key === '0') ended = true;
    return { key, presses };
  });
  await condition(() => ended);
  return presses;
}
