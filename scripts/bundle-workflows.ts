/**
 * Last step of `npm run build`: the production workflow bundle (dist/workflow-bundle.js), so the
 * worker starts without webpack and runs exactly the code that was built and tested.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { prebuiltBundlePath, workflowBundlerOptions, workflowsPath } from '@ruleflow/workflows/bundler-options';

async function main(): Promise<void> {
  const entry = workflowsPath();
  if (!existsSync(entry)) throw new Error(`the workflows entry point ${entry} does not exist`);
  const started = Date.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: entry,
    ...workflowBundlerOptions(),
    logger: new DefaultLogger('WARN'),
  });
  const target = prebuiltBundlePath();
  mkdirSync(path.dirname(target), { recursive: true });
  // Write then rename: a worker starting meanwhile never reads half a bundle.
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, target);
  const kib = Math.round(Buffer.byteLength(code) / 1024);
  console.log(`workflow bundle: ${path.relative(process.cwd(), target)} (${kib} KiB) in ${Date.now() - started} ms`);
}

main().catch((err: unknown) => {
  console.error(`bundle-workflows failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
