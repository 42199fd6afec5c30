/**
 * One-shot setup of a Temporal Server for Ruleflow: the namespace (TEMPORAL_NAMESPACE) and our Keyword
 * search attributes, from the contract's list. docker-compose.temporal.yml runs it in the Ruleflow image
 * (`node dist/scripts/cluster/temporal-setup.js`); `npm run cluster` calls the same function. Safe to rerun.
 */
import { ConfigError, loadConfig, temporalConnectionOptions } from '@ruleflow/config';
import { SEARCH_ATTRIBUTE_NAMES } from '@ruleflow/contract';
import { ensureTemporalNamespace } from '@ruleflow/local-stack';

/** Days closed runs are kept by Temporal (Ruleflow keeps its own records by RETENTION_*_DAYS). */
export const TEMPORAL_RETENTION_DAYS = 30;

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporal.address) throw new ConfigError('TEMPORAL_ADDRESS is not set: which Temporal Server to set up?');
  const result = await ensureTemporalNamespace({
    address: temporalConnectionOptions(config),
    namespace: config.temporal.namespace,
    searchAttributes: SEARCH_ATTRIBUTE_NAMES,
    retentionDays: TEMPORAL_RETENTION_DAYS,
    log: (line) => console.log(line),
    timeoutMs: 120_000,
  });
  console.log(
    `namespace ${config.temporal.namespace} is ready (${result.namespaceCreated ? 'created' : 'existed'}; ` +
      `search attributes ${SEARCH_ATTRIBUTE_NAMES.join(', ')})`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
