import type { DataSource } from 'typeorm';
import { IvrLineEntity } from '../ivr-line.entity';

/** Finds phone lines: by tenant and id (the `ivr_call` action), and by URL token hash (the provider's webhooks). */
export interface IvrLineLookup {
  findLine(tenantId: string, lineId: string): Promise<IvrLineEntity | null>;
  /** Across tenants: call it in the system scope (the token names the tenant). */
  findByTokenHash(tokenHash: string): Promise<IvrLineEntity | null>;
}

/** PostgreSQL implementation over `ivr_lines`. */
export class IvrLineRepository implements IvrLineLookup {
  constructor(private readonly db: DataSource) {}

  findLine(tenantId: string, lineId: string): Promise<IvrLineEntity | null> {
    return this.db.getRepository(IvrLineEntity).findOneBy({ id: lineId, tenantId });
  }

  findByTokenHash(tokenHash: string): Promise<IvrLineEntity | null> {
    return this.db.getRepository(IvrLineEntity).findOneBy({ tokenHash });
  }
}
