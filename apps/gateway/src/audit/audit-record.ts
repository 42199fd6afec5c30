/** What an audited request did, derived from its route pattern, params, body and answer. Pure. */
export interface AuditRecord {
  action: string;
  resourceType: string;
  resourceId: string | null;
  details: AuditDetails;
}

/** A summary of the request: field names and a display name only, never body values (they may carry secrets). */
export interface AuditDetails {
  method: string;
  /** The route pattern (`/v1/rules/:id`), not the raw URL. */
  path: string;
  requestId?: string;
  /** Route parameter values (ids, SKUs), which locate a nested resource's parent. */
  params?: Record<string, string>;
  /** Top-level keys of the request body. */
  fields: string[];
  name?: string;
}

/** Where an audited request came from. */
export interface AuditCaller {
  ip: string | null;
  userAgent: string | null;
}

/** A User-Agent is client-chosen text: at most this many characters are kept. */
export const MAX_USER_AGENT = 512;

/**
 * The caller of a request: Express's `req.ip` (which follows the app's `trust proxy` setting, so behind a
 * proxy it is the client the proxy reports) and the User-Agent, cut to MAX_USER_AGENT characters.
 */
export function describeCaller(ip: string | undefined, userAgent: string | string[] | undefined): AuditCaller {
  const agent = Array.isArray(userAgent) ? userAgent[0] : userAgent;
  return {
    ip: ip ? ip.slice(0, 100) : null,
    userAgent: agent ? agent.slice(0, MAX_USER_AGENT) : null,
  };
}

export interface AuditedRequest {
  method: string;
  /** Route pattern, e.g. `/v1/rules/:id/activate`. */
  path: string;
  params: Record<string, unknown>;
  body: unknown;
  requestId?: string;
}

/** Path segments that name a collection, and the resource type they hold. */
const RESOURCE_TYPES: Readonly<Record<string, string>> = {
  rules: 'rule',
  dependencies: 'rule_dependency',
  'action-templates': 'action_template',
  webhooks: 'webhook',
  executions: 'execution',
  tenants: 'tenant',
  'api-keys': 'api_key',
  entities: 'entity',
  alerts: 'alert',
  inventory: 'inventory_item',
  items: 'inventory_item',
  allocations: 'inventory_allocation',
  notifications: 'notification',
  receipts: 'notification_receipt',
  inbox: 'notification',
  schedules: 'schedule',
  maintenance: 'maintenance',
};

const METHOD_ACTIONS: Readonly<Record<string, string>> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'update',
  DELETE: 'delete',
};

const MAX_FIELDS = 50;
const MAX_TEXT = 200;

/** `api-keys` → `api_key`, `widgets` → `widget`: the fallback for a collection not in the map. */
function singular(segment: string): string {
  const snake = segment.replace(/-/g, '_');
  return snake.endsWith('s') && !snake.endsWith('ss') ? snake.slice(0, -1) : snake;
}

function isParam(segment: string): boolean {
  return segment.startsWith(':');
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, MAX_TEXT) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Describe a successful change. The action is the method's (`POST` create, `PUT`/`PATCH` update,
 * `DELETE` delete) unless the path ends in a verb (`/v1/rules/:id/activate` → `activate`): a literal
 * last segment that is not a known collection. The resource is the last collection named in the path,
 * its id the route parameter after it, else the `id` of the answer (a create).
 */
export function describeChange(req: AuditedRequest, response: unknown): AuditRecord {
  const segments = req.path.split('/').filter((s) => s.length > 0 && s !== 'v1');
  const last = segments[segments.length - 1];
  const endsInVerb = segments.length > 1 && last !== undefined && !isParam(last) && RESOURCE_TYPES[last] === undefined;
  const nouns = endsInVerb ? segments.slice(0, -1) : segments;

  let resourceAt = -1;
  for (let i = nouns.length - 1; i >= 0; i--) {
    if (!isParam(nouns[i]!)) {
      resourceAt = i;
      break;
    }
  }
  // A verb on a version changes its rule (`/v1/rules/:id/versions/:version/restore`): the rule is the resource.
  const ofVersion = endsInVerb && nouns[resourceAt] === 'versions' && resourceAt >= 2;
  if (ofVersion) resourceAt -= 2;
  const collection = nouns[resourceAt] ?? 'unknown';
  const resourceType = RESOURCE_TYPES[collection] ?? singular(collection);

  const after = nouns.slice(resourceAt + 1);
  const idParam = ofVersion ? after.find(isParam) : after.filter(isParam).pop();
  const resourceId =
    (idParam ? text(req.params[idParam.slice(1)]) : undefined) ??
    (isRecord(response) ? text(response.id) : undefined) ??
    null;

  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.params)) {
    const v = text(value);
    if (v !== undefined) params[key] = v;
  }
  const body = isRecord(req.body) ? req.body : undefined;
  const name = text(body?.name) ?? (isRecord(response) ? text(response.name) : undefined);
  const details: AuditDetails = {
    method: req.method,
    path: req.path,
    ...(req.requestId ? { requestId: req.requestId } : {}),
    ...(Object.keys(params).length > 0 ? { params } : {}),
    fields: body
      ? Object.keys(body)
          .slice(0, MAX_FIELDS)
          .map((k) => k.slice(0, MAX_TEXT))
      : [],
    ...(name !== undefined ? { name } : {}),
  };

  return {
    action: endsInVerb ? last : (METHOD_ACTIONS[req.method] ?? req.method.toLowerCase()),
    resourceType,
    resourceId,
    details,
  };
}
