/**
 * The rule `webhook` action with `config.webhookId`: look up the registered endpoint the action
 * posts to (its URL, its signing secrets, still sealed) and shape the default body the way the
 * endpoint shapes its deliveries. The delivery itself is the ordinary `deliverWebhook` activity, so
 * it signs the same way, is logged as a delivery of that endpoint, and retries under the action's
 * own retry policy.
 */
import type { DeliveryPayload, WebhookEndpointLookup } from '@ruleflow/entities';
import { isShapedEventType, shapeData } from '@ruleflow/rules';
import { ApplicationFailure } from '@temporalio/common';
import { endpointSigningSecrets } from '../endpoint-deliveries/endpoint-secrets';
import type { TransformSandbox } from '@ruleflow/outbound';
import { applyTransform, TransformError } from '@ruleflow/outbound';

export interface ResolveEndpointInput {
  tenantId: string;
  webhookId: string;
  /** The default body (`{type, timestamp, data}`): shaped with the endpoint's settings. Absent when the action gives its own body. */
  envelope?: DeliveryPayload;
}

export interface ResolvedEndpoint {
  url: string;
  /** Sealed; opened by `deliverWebhook` right before signing. */
  secrets: string[];
  /** The endpoint's custom headers, values sealed; opened by `deliverWebhook` right before sending. */
  headers?: Record<string, string>;
  /** The shaped envelope, when one was given. */
  body?: DeliveryPayload;
}

export const ENDPOINT_FAILURE_TYPES = {
  unavailable: 'WebhookEndpointUnavailable',
  transform: 'WebhookTransformFailed',
} as const;

export function createEndpointResolverActivities(deps: {
  endpoints: WebhookEndpointLookup;
  now?: () => Date;
  /** Where transforms run (the worker's pool); defaults to the process's shared sandbox. */
  transforms?: TransformSandbox;
}) {
  const now = deps.now ?? (() => new Date());

  async function resolveWebhookEndpoint(input: ResolveEndpointInput): Promise<ResolvedEndpoint> {
    const endpoint = await deps.endpoints.findEndpoint(input.tenantId, input.webhookId);
    if (!endpoint) {
      throw ApplicationFailure.create({
        type: ENDPOINT_FAILURE_TYPES.unavailable,
        nonRetryable: true,
        message: `webhook endpoint ${input.webhookId} does not exist (deleted after the rule was saved?)`,
      });
    }
    if (!endpoint.enabled) {
      throw ApplicationFailure.create({
        type: ENDPOINT_FAILURE_TYPES.unavailable,
        nonRetryable: true,
        message: `webhook endpoint ${endpoint.id} is disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}`,
      });
    }
    const resolved: ResolvedEndpoint = { url: endpoint.url, secrets: endpointSigningSecrets(endpoint, now()) };
    if (endpoint.headers && Object.keys(endpoint.headers).length > 0) resolved.headers = endpoint.headers;
    if (input.envelope) {
      const { type, timestamp } = input.envelope;
      let data = shapeData(input.envelope.data, { type, timestamp }, endpoint);
      if (endpoint.transform && isShapedEventType(type)) {
        try {
          data = await applyTransform(endpoint.transform, data, deps.transforms);
        } catch (err) {
          // Not a TransformError (the sandbox busy or down): thrown plainly, so Temporal retries.
          if (!(err instanceof TransformError)) throw err;
          throw ApplicationFailure.create({
            type: ENDPOINT_FAILURE_TYPES.transform,
            nonRetryable: true,
            message: `webhook endpoint ${endpoint.id}: ${err.message}`,
          });
        }
      }
      resolved.body = { type, timestamp, data };
    }
    return resolved;
  }

  return { resolveWebhookEndpoint };
}

export type EndpointResolverActivities = ReturnType<typeof createEndpointResolverActivities>;
