import type { OnApplicationShutdown } from '@nestjs/common';
import { Global, Inject, Module } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import { temporalConnectionOptions } from '@ruleflow/config';
import { Client, Connection } from '@temporalio/client';
import { RULEFLOW_CONFIG, TEMPORAL_CLIENT } from '../common/tokens';

/** The Temporal client. The connection is lazy so the gateway starts (and reports health) while Temporal is away. */
@Global()
@Module({
  providers: [
    {
      provide: TEMPORAL_CLIENT,
      inject: [RULEFLOW_CONFIG],
      useFactory: (config: RuleflowConfig) =>
        new Client({
          connection: Connection.lazy(temporalConnectionOptions(config)),
          namespace: config.temporal.namespace,
        }),
    },
  ],
  exports: [TEMPORAL_CLIENT],
})
export class TemporalModule implements OnApplicationShutdown {
  constructor(@Inject(TEMPORAL_CLIENT) private readonly client: Client) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.connection.close();
  }
}
