import type { OnApplicationShutdown } from '@nestjs/common';
import { Global, Inject, Logger, Module } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import { createDataSource, rowLevelSecurityBypass } from '@ruleflow/entities';
import { DataSource } from 'typeorm';
import { RULEFLOW_CONFIG } from '../common/tokens';

/** The TypeORM DataSource (migrations are applied by the launcher / `npm run migrate`, never synchronize). */
@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [RULEFLOW_CONFIG],
      useFactory: async (config: RuleflowConfig) => {
        if (!config.database.url)
          throw new Error('DATABASE_URL is not set (npm start sets it for the embedded database)');
        const ds = createDataSource({
          url: config.database.url,
          poolSize: config.database.poolSize,
          applicationName: 'ruleflow-gateway',
        });
        await ds.initialize();
        const bypass = await rowLevelSecurityBypass(ds);
        if (bypass) new Logger('Database').warn(`${bypass}: tenant isolation rests on the application's queries alone`);
        return ds;
      },
    },
  ],
  exports: [DataSource],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.db.isInitialized) await this.db.destroy();
  }
}
