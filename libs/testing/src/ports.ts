// Relative import: this file is also loaded by jest's globalSetup, where moduleNameMapper does not apply.
export { freePort } from '../../local-stack/src/ports';
