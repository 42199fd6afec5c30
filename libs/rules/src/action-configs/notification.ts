import { isPlainObject } from '../json';
import { RuleValidationError } from '../types';

export const NOTIFICATION_CHANNEL_VALUES = ['email', 'sms', 'push', 'in_app'] as const;
/** At most this many recipients per `send_notification` action. */
export const MAX_NOTIFICATION_RECIPIENTS = 100;

/** A string that is exactly one `{{ expression }}`: it may render to any value (an array of recipients). */
function isWholeTemplate(value: unknown): boolean {
  return typeof value === 'string' && /^\s*\{\{[^{}]+\}\}\s*$/.test(value);
}

/** Checks a `send_notification` config: channel, recipients, subject, body and data. */
export function checkNotificationConfig(config: Record<string, unknown>, path: string): void {
  for (const key of Object.keys(config)) {
    if (!['channel', 'to', 'subject', 'body', 'data'].includes(key)) {
      throw new RuleValidationError(`${path}.${key}`, 'unknown key');
    }
  }
  const { channel, to, subject, body, data } = config;
  if (channel === undefined) throw new RuleValidationError(`${path}.channel`, 'is required');
  if (!(NOTIFICATION_CHANNEL_VALUES as readonly unknown[]).includes(channel) && !isWholeTemplate(channel)) {
    throw new RuleValidationError(`${path}.channel`, `must be one of ${NOTIFICATION_CHANNEL_VALUES.join(', ')}`);
  }
  if (to === undefined) throw new RuleValidationError(`${path}.to`, 'is required');
  if (!isWholeTemplate(to)) {
    if (!Array.isArray(to)) throw new RuleValidationError(`${path}.to`, 'must be an array of recipients');
    if (to.length === 0) throw new RuleValidationError(`${path}.to`, 'must not be empty');
    if (to.length > MAX_NOTIFICATION_RECIPIENTS) {
      throw new RuleValidationError(`${path}.to`, `at most ${MAX_NOTIFICATION_RECIPIENTS} recipients are allowed`);
    }
    to.forEach((r, i) => {
      if (typeof r !== 'string' || r.trim() === '') {
        throw new RuleValidationError(`${path}.to[${i}]`, 'must be a non-empty string');
      }
    });
  }
  if (body === undefined) throw new RuleValidationError(`${path}.body`, 'is required');
  if (typeof body !== 'string') throw new RuleValidationError(`${path}.body`, 'must be a string');
  if (subject !== undefined && typeof subject !== 'string') {
    throw new RuleValidationError(`${path}.subject`, 'must be a string');
  }
  if (data !== undefined && !isPlainObject(data) && !isWholeTemplate(data)) {
    throw new RuleValidationError(`${path}.data`, 'must be an object');
  }
}
