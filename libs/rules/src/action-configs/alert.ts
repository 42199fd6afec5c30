import { DAY_MS, parseDuration } from '../duration';
import { describeValue, isPlainObject } from '../json';
import { hasTemplate } from '../templates';
import { RuleValidationError } from '../types';

export const ALERT_SEVERITY_VALUES = ['low', 'medium', 'high', 'critical'] as const;
export const ALERT_RECIPIENT_TYPE_VALUES = ['user', 'role'] as const;

export const ALERT_LIMITS = {
  maxRecipients: 100,
  maxAlertTypeLength: 100,
  maxTitleLength: 500,
  maxMessageLength: 10_000,
  maxRecipientIdLength: 200,
  maxExpiresInMs: 365 * DAY_MS,
} as const;

const ALERT_KEYS: ReadonlySet<string> = new Set([
  'alertType',
  'severity',
  'title',
  'message',
  'recipients',
  'expiresIn',
  'context',
]);
const RECIPIENT_KEYS: ReadonlySet<string> = new Set(['type', 'id']);

/** A string that is exactly one `{{ expression }}`: it may render to any value. */
function isWholeTemplate(value: unknown): boolean {
  return typeof value === 'string' && /^\s*\{\{[^{}]+\}\}\s*$/.test(value);
}

function isTemplated(value: unknown): boolean {
  return typeof value === 'string' && hasTemplate(value);
}

function checkText(value: unknown, path: string, maxLength: number): void {
  if (value === undefined) throw new RuleValidationError(path, 'is required');
  if (typeof value !== 'string') throw new RuleValidationError(path, 'must be a string');
  if (value.trim() === '') throw new RuleValidationError(path, 'must not be empty');
  // A templated string's length is only known once rendered; the activity checks it then.
  if (!hasTemplate(value) && value.length > maxLength) {
    throw new RuleValidationError(path, `is longer than ${maxLength} characters`);
  }
}

function checkOneOf(value: unknown, path: string, allowed: readonly string[]): void {
  if (value === undefined) throw new RuleValidationError(path, 'is required');
  if (isTemplated(value)) return;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new RuleValidationError(path, `${describeValue(value)} is not one of ${allowed.join(', ')}`);
  }
}

/** Checks a `create_alert` config: alertType, severity, title, message, recipients, expiresIn and context. */
export function checkAlertConfig(config: Record<string, unknown>, path: string): void {
  for (const key of Object.keys(config)) {
    if (!ALERT_KEYS.has(key)) throw new RuleValidationError(path, `unknown key ${JSON.stringify(key)}`);
  }
  checkText(config['alertType'], `${path}.alertType`, ALERT_LIMITS.maxAlertTypeLength);
  checkOneOf(config['severity'], `${path}.severity`, ALERT_SEVERITY_VALUES);
  checkText(config['title'], `${path}.title`, ALERT_LIMITS.maxTitleLength);
  checkText(config['message'], `${path}.message`, ALERT_LIMITS.maxMessageLength);

  const recipients = config['recipients'];
  const recipientsPath = `${path}.recipients`;
  if (recipients === undefined) throw new RuleValidationError(recipientsPath, 'is required');
  if (!isWholeTemplate(recipients)) {
    if (!Array.isArray(recipients)) {
      throw new RuleValidationError(recipientsPath, 'must be an array of {"type":"user"|"role","id"}');
    }
    if (recipients.length === 0) throw new RuleValidationError(recipientsPath, 'must not be empty');
    if (recipients.length > ALERT_LIMITS.maxRecipients) {
      throw new RuleValidationError(recipientsPath, `at most ${ALERT_LIMITS.maxRecipients} recipients are allowed`);
    }
    recipients.forEach((r: unknown, i) => {
      const rPath = `${recipientsPath}[${i}]`;
      if (isWholeTemplate(r)) return;
      if (!isPlainObject(r)) throw new RuleValidationError(rPath, 'must be an object {"type","id"}');
      for (const key of Object.keys(r)) {
        if (!RECIPIENT_KEYS.has(key)) throw new RuleValidationError(rPath, `unknown key ${JSON.stringify(key)}`);
      }
      checkOneOf(r['type'], `${rPath}.type`, ALERT_RECIPIENT_TYPE_VALUES);
      const id = r['id'];
      if (id === undefined) throw new RuleValidationError(`${rPath}.id`, 'is required');
      if (isWholeTemplate(id)) return;
      checkText(id, `${rPath}.id`, ALERT_LIMITS.maxRecipientIdLength);
    });
  }

  const expiresIn = config['expiresIn'];
  if (expiresIn !== undefined && expiresIn !== null && !isTemplated(expiresIn)) {
    parseDuration(expiresIn, `${path}.expiresIn`, { minMs: 1, maxMs: ALERT_LIMITS.maxExpiresInMs });
  }

  const context = config['context'];
  if (context !== undefined && context !== null && !isPlainObject(context) && !isWholeTemplate(context)) {
    throw new RuleValidationError(`${path}.context`, 'must be an object');
  }
}
