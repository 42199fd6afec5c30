/**
 * The house rules for imports, checked by `npm run lint` (dependency-cruiser). Unlike ESLint's
 * import-x/no-cycle, type-only imports count here (tsPreCompilationDeps), so a cycle cannot hide
 * behind `import type`. The layering is the one in the README's "Layout" section:
 *   rules  <-  config  <-  entities (+ repositories)  <-  activities  <-  apps
 *   rules  <-  contract  <-  workflows (+ `import type` of activity interfaces), activities, gateway
 */
const TESTS = '(\\.(spec|int-spec|e2e-spec)\\.ts$|/test/|^libs/testing/)';
const CONTRACT = '^libs/workflows/src/contract/';
const WORKFLOW_BODIES = '^libs/workflows/(?!src/contract/)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Imports flow one way; type-only imports count too.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'rules-are-pure',
      severity: 'error',
      comment: 'libs/rules depends on no other part of Ruleflow (it runs inside workflows too).',
      from: { path: '^libs/rules/', pathNot: TESTS },
      to: { path: '^(libs|apps|scripts)/', pathNot: '^libs/rules/' },
    },
    {
      name: 'contract-imports-only-rules',
      severity: 'error',
      comment: 'The workflow contract is what every side shares, so it depends on no side.',
      from: { path: CONTRACT, pathNot: TESTS },
      to: { path: '^(libs|apps|scripts)/', pathNot: `^libs/rules/|${CONTRACT}` },
    },
    {
      name: 'config-imports-only-rules',
      severity: 'error',
      from: { path: '^libs/config/', pathNot: TESTS },
      to: { path: '^(libs|apps|scripts)/', pathNot: '^libs/(rules|config)/' },
    },
    {
      name: 'entities-import-only-rules-and-config',
      severity: 'error',
      comment: 'Entities, migrations and repositories: PostgreSQL only, shared by the gateway and the activities.',
      from: { path: '^libs/entities/', pathNot: TESTS },
      to: { path: '^(libs|apps|scripts)/', pathNot: '^libs/(rules|config|entities)/' },
    },
    {
      name: 'outbound-imports-only-rules-and-config',
      severity: 'error',
      from: { path: '^libs/outbound/', pathNot: TESTS },
      to: { path: '^(libs|apps|scripts)/', pathNot: '^libs/(rules|config|outbound)/' },
    },
    {
      name: 'activities-never-import-workflow-bodies',
      severity: 'error',
      comment: 'Activities share ids and types with workflows through the contract only.',
      from: { path: '^libs/activities/', pathNot: TESTS },
      to: { path: `${WORKFLOW_BODIES}|^apps/|^libs/(local-stack|testing)/` },
    },
    {
      name: 'workflows-import-activities-as-types-only',
      severity: 'error',
      comment: 'Workflow code is bundled for the sandbox: activities are proxied, only their interfaces are imported.',
      from: { path: WORKFLOW_BODIES, pathNot: `${TESTS}|^libs/workflows/bundler-options\\.ts$` },
      to: { path: '^libs/activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-stay-in-the-sandbox',
      severity: 'error',
      from: { path: '^libs/workflows/', pathNot: `${TESTS}|^libs/workflows/bundler-options\\.ts$` },
      to: { path: '^(apps|scripts)/|^libs/(entities|config|outbound|local-stack|testing)/' },
    },
    {
      name: 'gateway-never-imports-activities-or-workflow-bodies',
      severity: 'error',
      comment: 'The gateway starts and messages workflows through the contract; side effects happen in activities.',
      from: { path: '^apps/gateway/src/' },
      to: { path: `^libs/activities/|${WORKFLOW_BODIES}` },
    },
    {
      name: 'libraries-never-import-apps',
      severity: 'error',
      from: { path: '^libs/', pathNot: TESTS },
      to: { path: '^(apps|scripts)/' },
    },
    {
      name: 'product-code-never-imports-test-helpers',
      severity: 'error',
      from: { path: '^(apps|libs|scripts)/', pathNot: TESTS },
      to: { path: TESTS },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|\\.ruleflow)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
