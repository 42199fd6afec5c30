import type { AllocationView } from '@ruleflow/contract';
import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { InventoryItemView } from '@ruleflow/entities';
import { InventoryConflictError, InventoryRequestError, InventoryRepository } from '@ruleflow/entities';
import type { AuthContext } from '../auth/auth-context';
import type { AllocateDto } from './dto/inventory.dto';

/** The HTTP face of the shared InventoryRepository (the same one the worker's activities use). */
@Injectable()
export class InventoryService {
  constructor(private readonly inventory: InventoryRepository) {}

  async setStock(auth: AuthContext, sku: string, quantityOnHand: number): Promise<InventoryItemView> {
    return this.inventory.setOnHand(auth.tenantId, sku, quantityOnHand).catch(translate);
  }

  async getItem(auth: AuthContext, sku: string): Promise<InventoryItemView> {
    const item = await this.inventory.getItem(auth.tenantId, sku);
    if (!item) throw new NotFoundException(`inventory item "${sku}" does not exist`);
    return item;
  }

  async allocate(auth: AuthContext, dto: AllocateDto): Promise<{ allocation: AllocationView; created: boolean }> {
    return this.inventory.allocate({ tenantId: auth.tenantId, ...dto }).catch(translate);
  }

  async getAllocation(auth: AuthContext, key: string): Promise<AllocationView> {
    const allocation = await this.inventory.getAllocation(auth.tenantId, key);
    if (!allocation) throw new NotFoundException(`allocation "${key}" does not exist`);
    return allocation;
  }

  async release(auth: AuthContext, key: string): Promise<AllocationView> {
    const allocation = await this.inventory.release(auth.tenantId, key);
    if (!allocation) throw new NotFoundException(`allocation "${key}" does not exist`);
    return allocation;
  }
}

function translate(err: unknown): never {
  if (err instanceof InventoryRequestError) throw new BadRequestException(err.message);
  if (err instanceof InventoryConflictError) throw new ConflictException(err.message);
  throw err;
}
