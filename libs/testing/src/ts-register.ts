import { writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * A `node -r` hook that compiles TypeScript sources on the fly with @swc/core and resolves the
 * @ruleflow/* aliases from tsconfig.json's `paths` (the one list of them), as jest does: for tests that
 * run a gateway or a script as a real child process from the sources (dist/ may lag them, and there is
 * no TypeScript runner in node_modules).
 */
const SWC_REGISTER = `
const { transformSync } = require(require.resolve('@swc/core', { paths: [${JSON.stringify(ROOT)}] }));
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const root = ${JSON.stringify(ROOT)};
const aliases = Object.entries(JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8')).compilerOptions.paths)
  .map(([alias, [target]]) => ({ alias, star: alias.indexOf('*'), target }));
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  for (const { alias, star, target } of aliases) {
    if (star < 0 ? request === alias : request.startsWith(alias.slice(0, star)) && request.endsWith(alias.slice(star + 1))) {
      const matched = star < 0 ? '' : request.slice(star, request.length - (alias.length - star - 1));
      request = path.join(root, target.replace('*', matched));
      break;
    }
  }
  return resolve.call(this, request, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true },
           transform: { legacyDecorator: true, decoratorMetadata: true } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
`;

/** Write the hook into `dir`; run children as `node -r <returned path> <file>.ts`. */
export function writeTsRegister(dir: string): string {
  const file = path.join(dir, 'swc-register.js');
  writeFileSync(file, SWC_REGISTER);
  return file;
}
