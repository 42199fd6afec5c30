/**
 * @ruleflow/outbound: the safety rules for what leaves Ruleflow, shared by the gateway (which checks
 * them when a URL, a transform or a secret is saved) and the activities (which apply them on every
 * delivery): the SSRF guard, the HTTP client that connects only where it allows, Standard Webhooks
 * signing and its secrets, and the transform sandbox.
 */
export * from './endpoint-headers';
export * from './http-client';
export * from './signing';
export * from './ssrf';
export * from './transform';
export * from './transform-sandbox';
export * from './twilio-calls';
export * from './webhook-secrets';
