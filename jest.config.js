/** Jest projects: pure unit tests, and tests that need the real Postgres + Temporal stack. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
// The @ruleflow/* aliases come from tsconfig.json's `paths`, the one list of them ('a/*' maps 'a/<rest>').
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const moduleNameMapper = Object.fromEntries(
  Object.entries(require('./tsconfig.json').compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.split('*').map(escapeRegExp).join('(.*)')}$`,
    `<rootDir>/${target.replace('*', '$1')}`,
  ]),
);
const common = { rootDir: __dirname, transform: { '^.+\\.ts$': swc }, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  // Integration tests wait on real servers; unit tests finish long before this.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,scripts,test}/**/*.{int,e2e}-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
      setupFiles: ['<rootDir>/libs/testing/src/jest-setup.ts'],
      slowTestThreshold: 30,
    },
  ],
};
