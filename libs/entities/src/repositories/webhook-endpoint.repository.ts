import type { DataSource } from 'typeorm';
import { WebhookEntity } from '../webhook.entity';

/** Finds a tenant's webhook endpoint (the rule `webhook` action with `config.webhookId`). */
export interface WebhookEndpointLookup {
  findEndpoint(tenantId: string, webhookId: string): Promise<WebhookEntity | null>;
}

/** PostgreSQL implementation over `webhooks`, scoped by tenant. */
export class WebhookEndpointRepository implements WebhookEndpointLookup {
  constructor(private readonly db: DataSource) {}

  findEndpoint(tenantId: string, webhookId: string): Promise<WebhookEntity | null> {
    return this.db.getRepository(WebhookEntity).findOneBy({ id: webhookId, tenantId });
  }
}
