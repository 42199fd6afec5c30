/**
 * The one set of bundler options for Temporal's workflow bundler, used by the worker, the tests
 * and the production bundle. The bundler does not read tsconfig `paths`, so the aliases live here.
 * (Node-side code: it is never imported by a workflow.)
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BundleOptions } from '@temporalio/worker';

/** The repository root (the folder holding package.json), from source or from dist. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the repository root above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/** Path of the workflows' TypeScript entry point. */
export function workflowsPath(): string {
  return path.join(repoRoot(), 'libs/workflows/src/index.ts');
}

/** Where `npm run build` writes the prebuilt bundle that the worker prefers in production. */
export function prebuiltBundlePath(): string {
  return path.join(repoRoot(), 'dist/workflow-bundle.js');
}

/** Webpack aliases mirroring tsconfig `paths` for what workflows may import. */
export function workflowBundlerOptions(): Pick<BundleOptions, 'webpackConfigHook'> {
  const root = repoRoot();
  return {
    webpackConfigHook: (config) => {
      config.resolve = config.resolve ?? {};
      config.resolve.alias = {
        ...(config.resolve.alias as Record<string, string> | undefined),
        '@ruleflow/rules': path.join(root, 'libs/rules/src'),
      };
      return config;
    },
  };
}
