/**
 * The plain alternative the pipeline benchmark measures Ruleflow against: a hand-written Temporal
 * workflow with one activity POSTing a JSON body to a URL (retried by Temporal's default policy), and
 * nothing else: no run record, no signature, no search attributes. Bundled by the benchmark's own worker.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './plain-webhook.activities';

const { postJson } = proxyActivities<typeof activities>({ startToCloseTimeout: '60s' });

export async function PlainWebhookWorkflow(url: string, body: unknown): Promise<number> {
  return postJson(url, body);
}
