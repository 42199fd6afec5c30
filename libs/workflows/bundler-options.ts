/**
 * The one set of bundler options for Temporal's workflow bundler, used by the worker, the tests
 * and the production bundle. The bundler does not read tsconfig `paths`, so they are turned into
 * webpack aliases here.
 * (Node-side code: it is never imported by a workflow.)
 */
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * tsconfig.json's `paths` (the one list of the @ruleflow/* aliases) as webpack aliases: `a` matches
 * exactly (`a$`), `a/*` matches everything below `a`.
 */
function webpackAliases(root = repoRoot()): Record<string, string> {
  const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  return Object.fromEntries(
    Object.entries(tsconfig.compilerOptions.paths).map(([alias, [target]]) =>
      alias.endsWith('/*')
        ? [alias.slice(0, -2), path.join(root, target!.slice(0, -2))]
        : [`${alias}$`, path.join(root, target!)],
    ),
  );
}

/** Webpack aliases mirroring tsconfig `paths`, so workflows import the libraries as the rest of the code does. */
export function workflowBundlerOptions(): Pick<BundleOptions, 'webpackConfigHook'> {
  const aliases = webpackAliases();
  return {
    webpackConfigHook: (config) => {
      config.resolve = config.resolve ?? {};
      config.resolve.alias = { ...(config.resolve.alias as Record<string, string> | undefined), ...aliases };
      return config;
    },
  };
}
