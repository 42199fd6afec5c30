export * from './api-key.entity';
export * from './data-source';
export * from './delivery.entity';
export * from './event.entity';
export * from './execution.entity';
export * from './rule-version.entity';
export * from './rule.entity';
export * from './tenant.entity';
