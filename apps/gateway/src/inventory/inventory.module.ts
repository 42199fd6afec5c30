import { Module } from '@nestjs/common';
import { InventoryRepository } from '@ruleflow/entities';
import { DataSource } from 'typeorm';
import { InventoryController } from './inventory.controller';
import { InventoryService } from './inventory.service';

@Module({
  controllers: [InventoryController],
  providers: [
    { provide: InventoryRepository, inject: [DataSource], useFactory: (db: DataSource) => new InventoryRepository(db) },
    InventoryService,
  ],
})
export class InventoryModule {}
