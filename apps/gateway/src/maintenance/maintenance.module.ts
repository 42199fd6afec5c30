import { Module } from '@nestjs/common';
import { RetentionRepository } from '@ruleflow/entities';
import { DataSource } from 'typeorm';
import { MaintenanceController } from './maintenance.controller';
import { MaintenanceService } from './maintenance.service';

/** `POST /v1/maintenance/cleanup`: retention on demand, over the repository the daily schedule uses. */
@Module({
  controllers: [MaintenanceController],
  providers: [
    MaintenanceService,
    {
      provide: RetentionRepository,
      inject: [DataSource],
      useFactory: (db: DataSource) => new RetentionRepository(db),
    },
  ],
})
export class MaintenanceModule {}
