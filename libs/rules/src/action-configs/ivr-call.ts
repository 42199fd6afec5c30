import { tryParseDuration } from '../duration';
import { RuleValidationError } from '../types';

/** How long an `ivr_call` waits for the call's session to end, by default and at most. */
export const IVR_CALL_DEFAULT_TIMEOUT_MS = 30 * 60_000;
export const IVR_CALL_MAX_TIMEOUT_MS = 24 * 3_600_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** E.164. */
export const IVR_CALL_NUMBER = /^\+[1-9][0-9]{1,14}$/;
const KEYS = ['lineId', 'to', 'menuId', 'timeout'];

function isTemplate(value: unknown): boolean {
  return typeof value === 'string' && value.includes('{{');
}

/** The wait of an `ivr_call` action in ms (its `timeout`, default 30 m); undefined when it is not one. */
export function ivrCallTimeoutMs(timeout: unknown): number | undefined {
  if (timeout === undefined || timeout === null) return IVR_CALL_DEFAULT_TIMEOUT_MS;
  const ms = tryParseDuration(timeout);
  return ms !== undefined && ms >= 1000 && ms <= IVR_CALL_MAX_TIMEOUT_MS ? ms : undefined;
}

/**
 * Checks an `ivr_call` config: `lineId` (a line id), `to` (E.164), `menuId`? (a menu id instead of the
 * line's), `timeout`? (a duration, 1 s … 24 h). Ids and the number may be `{{ templates }}`; the
 * timeout may not (the wait is fixed when the rule is saved).
 */
export function checkIvrCallConfig(config: Record<string, unknown>, path: string): void {
  for (const key of Object.keys(config)) {
    if (!KEYS.includes(key)) throw new RuleValidationError(`${path}.${key}`, 'unknown key');
  }
  const { lineId, to, menuId, timeout } = config;
  if (lineId === undefined) throw new RuleValidationError(`${path}.lineId`, 'is required');
  if (typeof lineId !== 'string' || (!UUID.test(lineId) && !isTemplate(lineId))) {
    throw new RuleValidationError(`${path}.lineId`, 'must be the id of a phone line');
  }
  if (to === undefined) throw new RuleValidationError(`${path}.to`, 'is required');
  if (typeof to !== 'string' || (!IVR_CALL_NUMBER.test(to) && !isTemplate(to))) {
    throw new RuleValidationError(`${path}.to`, 'must be an E.164 number (+ and up to 15 digits)');
  }
  if (menuId !== undefined && menuId !== null) {
    if (typeof menuId !== 'string' || (!UUID.test(menuId) && !isTemplate(menuId))) {
      throw new RuleValidationError(`${path}.menuId`, 'must be the id of a menu');
    }
  }
  if (ivrCallTimeoutMs(timeout) === undefined) {
    throw new RuleValidationError(`${path}.timeout`, 'must be a duration from 1s to 24h, e.g. "30m"');
  }
}
