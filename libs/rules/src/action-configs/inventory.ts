import { hasTemplate } from '../templates';
import { RuleValidationError } from '../types';

const ALLOCATE_KEYS = new Set(['orderId', 'lines', 'mode']);
const RELEASE_KEYS = new Set(['idempotencyKey']);
/** How an allocation treats a line it cannot fill: refuse the whole order, or reserve what there is. */
export const ALLOCATION_MODES = ['all_or_nothing', 'partial'] as const;
export type AllocationMode = (typeof ALLOCATION_MODES)[number];
export const ALLOCATION_STATUSES = ['allocated', 'partial', 'rejected', 'released'] as const;
export type AllocationStatus = (typeof ALLOCATION_STATUSES)[number];

/** One SKU of an allocation: what was asked for and what was reserved. */
export interface AllocationLine {
  sku: string;
  requested: number;
  allocated: number;
}

/** What the API and the `allocate_inventory` action return for an allocation (JSON-safe). */
export interface AllocationView {
  id: string;
  idempotencyKey: string;
  orderId: string;
  status: AllocationStatus;
  lines: AllocationLine[];
  createdAt: string;
}

const MODES = new Set<string>(ALLOCATION_MODES);

function isTemplate(value: unknown): boolean {
  return typeof value === 'string' && hasTemplate(value);
}

function checkKeys(config: Record<string, unknown>, allowed: Set<string>, path: string): void {
  for (const key of Object.keys(config)) {
    if (!allowed.has(key)) throw new RuleValidationError(`${path}.${key}`, 'unknown key');
  }
}

/**
 * `allocate_inventory`: `{orderId, lines, mode?}`. `lines` is either a template yielding an array
 * (checked when the action runs) or a literal array of `{sku, quantity}` whose values may be templates.
 */
export function checkAllocateInventoryConfig(config: Record<string, unknown>, path: string): void {
  checkKeys(config, ALLOCATE_KEYS, path);
  const { orderId, lines, mode } = config;
  if (
    !(typeof orderId === 'string' && orderId.length > 0) &&
    !(typeof orderId === 'number' && Number.isFinite(orderId))
  )
    throw new RuleValidationError(`${path}.orderId`, 'is required (a string, a number or a template)');
  if (mode !== undefined && !(typeof mode === 'string' && (MODES.has(mode) || isTemplate(mode))))
    throw new RuleValidationError(`${path}.mode`, 'must be "all_or_nothing" or "partial"');
  if (isTemplate(lines)) return;
  if (!Array.isArray(lines) || lines.length === 0)
    throw new RuleValidationError(`${path}.lines`, 'must be a non-empty array of {sku, quantity} or a template');
  lines.forEach((line: unknown, i) => {
    const at = `${path}.lines[${i}]`;
    if (typeof line !== 'object' || line === null || Array.isArray(line))
      throw new RuleValidationError(at, 'must be an object {sku, quantity}');
    const { sku, quantity, ...rest } = line as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw new RuleValidationError(`${at}.${extra}`, 'unknown key');
    if (typeof sku !== 'string' || sku.length === 0)
      throw new RuleValidationError(`${at}.sku`, 'must be a non-empty string');
    if (!isTemplate(quantity) && !(typeof quantity === 'number' && Number.isInteger(quantity) && quantity > 0))
      throw new RuleValidationError(`${at}.quantity`, 'must be a positive integer or a template');
  });
}

/**
 * `release_inventory`: `{idempotencyKey?}`. With a key, releases that allocation of the tenant
 * (e.g. `{{steps.reserve.idempotencyKey}}`); without, every allocation made earlier in this run.
 */
export function checkReleaseInventoryConfig(config: Record<string, unknown>, path: string): void {
  checkKeys(config, RELEASE_KEYS, path);
  const key = config.idempotencyKey;
  if (key !== undefined && !(typeof key === 'string' && key.length > 0))
    throw new RuleValidationError(`${path}.idempotencyKey`, 'must be a non-empty string');
}
