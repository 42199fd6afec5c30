/**
 * The topology test (test/topology/*.topology-spec.ts): `npm run cluster` with the real Temporal Server,
 * two gateways and two workers. Not part of `npm test`; .ci/run runs it after the main suite:
 *   npx jest -c test/topology/jest.config.js
 * Same transform and aliases as the main projects; no global test stack (the cluster brings its own).
 */
const main = require('../../jest.config.js');
const integration = main.projects.find((p) => p.displayName === 'integration');

module.exports = {
  testTimeout: 240000,
  projects: [
    {
      rootDir: integration.rootDir,
      transform: integration.transform,
      moduleNameMapper: integration.moduleNameMapper,
      testEnvironment: integration.testEnvironment,
      setupFiles: integration.setupFiles,
      displayName: 'topology',
      testMatch: ['<rootDir>/test/topology/**/*.topology-spec.ts'],
      slowTestThreshold: 120,
    },
  ],
};
