import { checkNotificationConfig } from './action-configs/notification';
import { checkAlertConfig } from './action-configs/alert';
import { checkIvrCallConfig } from './action-configs/ivr-call';
import { checkApprovalConfig } from './action-configs/approval';
import { checkAllocateInventoryConfig, checkReleaseInventoryConfig } from './action-configs/inventory';
import type { ActionType } from './types';

export {
  IVR_CALL_DEFAULT_TIMEOUT_MS,
  IVR_CALL_MAX_TIMEOUT_MS,
  IVR_CALL_NUMBER,
  ivrCallTimeoutMs,
} from './action-configs/ivr-call';
export { APPROVAL_LIMITS, APPROVAL_ON_TIMEOUT, approvalTimeoutMs } from './action-configs/approval';
export type { ApprovalOnTimeout } from './action-configs/approval';
export { ALLOCATION_MODES, ALLOCATION_STATUSES } from './action-configs/inventory';
export type { AllocationLine, AllocationMode, AllocationStatus, AllocationView } from './action-configs/inventory';

/** Checks an action's (template-bearing) config; throws RuleValidationError naming the place under `path`. */
export type ActionConfigCheck = (config: Record<string, unknown>, path: string) => void;

/**
 * Per-type config checks beyond "a JSON object", one entry per action type that has them (webhook
 * and delay are checked in actions.ts). Values may hold `{{ templates }}`: a check must accept a
 * template wherever the rendered value would do.
 */
export const ACTION_CONFIG_CHECKS: Partial<Record<ActionType, ActionConfigCheck>> = {
  allocate_inventory: checkAllocateInventoryConfig,
  release_inventory: checkReleaseInventoryConfig,
  send_notification: checkNotificationConfig,
  create_alert: checkAlertConfig,
  ivr_call: checkIvrCallConfig,
  wait_for_approval: checkApprovalConfig,
};
