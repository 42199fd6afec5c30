import { Injectable } from '@nestjs/common';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of the gateway, on a registry of its own. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'ruleflow_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'ruleflow_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  // No entity label: entity names are chosen by tenants, and /metrics is public and must stay bounded.
  readonly eventsIngested = new Counter({
    name: 'ruleflow_events_ingested_total',
    help: 'Events accepted by POST /v1/events by type (replays of a known id excluded)',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly executionsStarted = new Counter({
    name: 'ruleflow_executions_started_total',
    help: 'Rule workflows started, by path (request or outbox)',
    labelNames: ['via'] as const,
    registers: [this.registry],
  });
  readonly deliveriesStarted = new Counter({
    name: 'ruleflow_webhook_deliveries_started_total',
    help: 'Webhook endpoint delivery workflows started, by path (request or outbox)',
    labelNames: ['via'] as const,
    registers: [this.registry],
  });
  readonly dispatchFailures = new Counter({
    name: 'ruleflow_dispatch_failures_total',
    help: 'Workflow starts that failed and were left to the outbox',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ruleflow_gateway_' });
  }
}
