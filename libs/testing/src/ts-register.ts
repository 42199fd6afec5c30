import { writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * A `node -r` hook that compiles TypeScript sources on the fly with @swc/core and resolves the
 * @ruleflow/* paths as jest does: for tests that run a gateway or a script as a real child process
 * from the sources (dist/ may lag them, and there is no TypeScript runner in node_modules).
 */
const SWC_REGISTER = `
const { transformSync } = require(require.resolve('@swc/core', { paths: [${JSON.stringify(ROOT)}] }));
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const m = /^@ruleflow\\/(rules|config|entities|workflows|activities|local-stack|testing)(?:\\/(.*))?$/.exec(request);
  if (m) request = path.join(${JSON.stringify(ROOT)}, 'libs', m[1], 'src', m[2] || 'index.ts');
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
