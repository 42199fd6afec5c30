import { Module } from '@nestjs/common';
import { InventoryService } from '@ruleflow/activities';
import { DataSource } from 'typeorm';
import { InventoryController } from './inventory.controller';
import { InventoryApiService } from './inventory.service';

@Module({
  controllers: [InventoryController],
  providers: [
    { provide: InventoryService, inject: [DataSource], useFactory: (db: DataSource) => new InventoryService(db) },
    InventoryApiService,
  ],
})
export class InventoryModule {}
