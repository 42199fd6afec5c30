/**
 * `npm run openapi`: writes docs/openapi.json, the OpenAPI document of the gateway (the one /docs-json
 * serves), generated from the code without a database or Temporal. apps/gateway/src/openapi.spec.ts fails
 * while the shipped file differs from what the code generates.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@ruleflow/config';
import { generateOpenApiDocument, OPENAPI_FILE, serializeOpenApiDocument } from '../apps/gateway/src/openapi';

async function main(): Promise<void> {
  const doc = await generateOpenApiDocument(loadConfig({}));
  // npm (and bootstrap.js) run scripts in the repository root.
  const file = join(process.cwd(), OPENAPI_FILE);
  writeFileSync(file, serializeOpenApiDocument(doc));
  process.stdout.write(`wrote ${OPENAPI_FILE} (${Object.keys(doc.paths).length} paths)\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
