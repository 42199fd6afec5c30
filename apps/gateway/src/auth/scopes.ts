import { SetMetadata } from '@nestjs/common';

export const SCOPES = [
  'rules:read',
  'rules:write',
  'events:write',
  'executions:read',
  'executions:write',
  'webhooks:read',
  'webhooks:write',
  'notifications:read',
  'notifications:write',
  'alerts:read',
  'alerts:write',
  'inventory:read',
  'inventory:write',
  'ivr:read',
  'ivr:write',
  'audit:read',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

export const SCOPES_KEY = 'ruleflow:scopes';
export const PUBLIC_KEY = 'ruleflow:public';

/** The scope a route needs (`admin` implies every scope). */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPES_KEY, scope);
/** A route that needs no API key (health, metrics, docs, hook tokens). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Whether a key's scopes grant the needed one. */
export function hasScope(granted: readonly string[], needed: Scope): boolean {
  return granted.includes('admin') || granted.includes(needed);
}
