import 'reflect-metadata';
import { loadConfig } from '@ruleflow/config';
import { createGatewayApp } from './app.factory';

/** The gateway process: the HTTP API. */
async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createGatewayApp(config);
  await app.listen(config.http.port, config.http.host);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
