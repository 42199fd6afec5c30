/**
 * What a resume (`POST /v1/executions/:id/rerun` with `"from":"failed"`) carries into the new run, on
 * top of the original's rule snapshot and event. Absent on every other run, so their inputs (and
 * the histories recorded with them) are unchanged.
 */
export interface RunResume {
  /**
   * The workflow id every idempotency key of the run is derived from: the original run's (the first
   * one's, when resuming a resume), so alerts, allocations, notifications and calls keep their keys.
   */
  idempotencyBase: string;
  /** Outputs of the original's actions that succeeded, by action name: recorded `reused`, not run again. */
  reused: Record<string, unknown>;
  /**
   * By action name, the `webhook-id` a webhook action of the original (or of an earlier resume of it)
   * was sent with, and the last attempt number logged under it: the resumed run sends it again under
   * that id, numbering its attempts on.
   */
  webhookDeliveries: Record<string, { deliveryId: string; attempts: number }>;
}
