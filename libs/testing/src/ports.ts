// Relative import: this file is also loaded by jest's globalSetup, where moduleNameMapper does not apply.
export { freePort } from '@ruleflow/local-stack';
