/**
 * PostgreSQL repositories shared by the gateway and the worker's activities. Each exports the small
 * interface its activities depend on (`ExecutionStore`, …) beside its implementation (`ExecutionRepository`),
 * so activities are unit-tested over fakes of that interface.
 */
export * from './alert.repository';
export * from './child-run.repository';
export * from './delivery.repository';
export * from './endpoint-delivery.repository';
export * from './event.repository';
export * from './execution.repository';
export * from './fan-out';
export * from './inventory.repository';
export * from './ivr-menu.repository';
export * from './ivr-session.repository';
export * from './notification.repository';
export * from './retention.repository';
export * from './scheduled-run.repository';
export * from './webhook-endpoint.repository';
export * from './ivr-line.repository';
export * from './ivr-call.repository';
