import { DAY_MS, tryParseDuration } from '../duration';
import { describeValue } from '../json';
import { hasTemplate } from '../templates';
import { RuleValidationError } from '../types';

/** Bounds of a `wait_for_approval` config. */
export const APPROVAL_LIMITS = {
  minTimeoutMs: 1000,
  maxTimeoutMs: 90 * DAY_MS,
  maxApprovers: 50,
  maxApproverLength: 200,
  maxMessageLength: 2000,
} as const;

/** What a `wait_for_approval` does when nobody decides in time: fail the action (default) or go on. */
export const APPROVAL_ON_TIMEOUT = ['fail', 'continue'] as const;
export type ApprovalOnTimeout = (typeof APPROVAL_ON_TIMEOUT)[number];

const KEYS: ReadonlySet<string> = new Set(['message', 'approvers', 'timeout', 'onTimeout']);

/** The wait of a `wait_for_approval` action in ms; undefined when `timeout` is not a duration from 1s to 90d. */
export function approvalTimeoutMs(timeout: unknown): number | undefined {
  const ms = tryParseDuration(timeout);
  return ms !== undefined && ms >= APPROVAL_LIMITS.minTimeoutMs && ms <= APPROVAL_LIMITS.maxTimeoutMs ? ms : undefined;
}

/**
 * Checks a `wait_for_approval` config: `timeout` (a duration, 1s … 90d, no template: the wait is fixed
 * when the rule is saved), `message`? (up to 2000 characters, may hold templates), `approvers`? (up to 50
 * non-empty ids of up to 200 characters, each may hold templates), `onTimeout`? (`fail` | `continue`).
 */
export function checkApprovalConfig(config: Record<string, unknown>, path: string): void {
  for (const key of Object.keys(config)) {
    if (!KEYS.has(key)) throw new RuleValidationError(`${path}.${key}`, 'unknown key');
  }
  const { message, approvers, timeout, onTimeout } = config;
  if (timeout === undefined) throw new RuleValidationError(`${path}.timeout`, 'is required, e.g. "2d"');
  if (approvalTimeoutMs(timeout) === undefined) {
    throw new RuleValidationError(
      `${path}.timeout`,
      `${describeValue(timeout)} is not a duration from 1s to 90d, e.g. "2d" (templates are not allowed here)`,
    );
  }
  if (message !== undefined && message !== null) {
    if (typeof message !== 'string') throw new RuleValidationError(`${path}.message`, 'must be a string');
    // A templated message's length is only known once rendered; the run cuts it to the bound then.
    if (!hasTemplate(message) && message.length > APPROVAL_LIMITS.maxMessageLength) {
      throw new RuleValidationError(`${path}.message`, `is longer than ${APPROVAL_LIMITS.maxMessageLength} characters`);
    }
  }
  if (approvers !== undefined && approvers !== null) checkApprovers(approvers, `${path}.approvers`);
  if (onTimeout !== undefined && onTimeout !== null) {
    if (typeof onTimeout !== 'string' || !(APPROVAL_ON_TIMEOUT as readonly string[]).includes(onTimeout)) {
      throw new RuleValidationError(`${path}.onTimeout`, `must be one of ${APPROVAL_ON_TIMEOUT.join(', ')}`);
    }
  }
}

function checkApprovers(approvers: unknown, path: string): void {
  if (!Array.isArray(approvers)) throw new RuleValidationError(path, 'must be an array of approver ids');
  if (approvers.length === 0) throw new RuleValidationError(path, 'must not be empty (omit it to let anyone decide)');
  if (approvers.length > APPROVAL_LIMITS.maxApprovers) {
    throw new RuleValidationError(path, `at most ${APPROVAL_LIMITS.maxApprovers} approvers are allowed`);
  }
  approvers.forEach((approver: unknown, index) => {
    const at = `${path}[${index}]`;
    if (typeof approver !== 'string' || approver.trim() === '') {
      throw new RuleValidationError(at, 'must be a non-empty string');
    }
    if (!hasTemplate(approver) && approver.length > APPROVAL_LIMITS.maxApproverLength) {
      throw new RuleValidationError(at, `is longer than ${APPROVAL_LIMITS.maxApproverLength} characters`);
    }
  });
}
