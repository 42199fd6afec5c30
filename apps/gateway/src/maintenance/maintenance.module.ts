import { Module } from '@nestjs/common';
import { ExecutionRetentionService } from '@ruleflow/activities';
import { DataSource } from 'typeorm';
import { MaintenanceController } from './maintenance.controller';
import { MaintenanceService } from './maintenance.service';

/** `POST /v1/maintenance/cleanup`: retention on demand, over the service the daily schedule uses. */
@Module({
  controllers: [MaintenanceController],
  providers: [
    MaintenanceService,
    {
      provide: ExecutionRetentionService,
      inject: [DataSource],
      useFactory: (db: DataSource) => new ExecutionRetentionService(db),
    },
  ],
})
export class MaintenanceModule {}
