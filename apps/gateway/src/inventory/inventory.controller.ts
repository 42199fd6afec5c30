import type { AllocationView } from '@ruleflow/contract';
import { Body, Controller, Get, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { InventoryItemView } from '@ruleflow/entities';
import type { Response } from 'express';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { ApiErrors, ApiKeyAuth } from '../common/api-docs';
import { AllocateDto, AllocationDto, InventoryItemDto, SetStockDto } from './dto/inventory.dto';
import { InventoryService } from './inventory.service';

@ApiTags('inventory')
@ApiKeyAuth()
@Controller('v1/inventory')
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @Put('items/:sku')
  @HttpCode(200)
  @RequireScope('inventory:write')
  @ApiOperation({
    summary: "Set a SKU's quantity on hand (creates the item)",
    description: 'Reserved stock stays reserved; stock is never reserved beyond quantityOnHand.',
  })
  @ApiOkResponse({ type: InventoryItemDto })
  @ApiErrors(400, { 409: 'quantityOnHand is below the quantity currently reserved' })
  setStock(@Auth() auth: AuthContext, @Param('sku') sku: string, @Body() dto: SetStockDto): Promise<InventoryItemView> {
    return this.inventory.setStock(auth, sku, dto.quantityOnHand);
  }

  @Get('items/:sku')
  @RequireScope('inventory:read')
  @ApiOperation({
    summary: 'One SKU with its on-hand, reserved and available quantities',
    description: 'quantityAvailable is what a new allocation can still reserve.',
  })
  @ApiOkResponse({ type: InventoryItemDto })
  @ApiErrors({ 404: 'unknown sku, or one of another tenant' })
  getItem(@Auth() auth: AuthContext, @Param('sku') sku: string): Promise<InventoryItemView> {
    return this.inventory.getItem(auth, sku);
  }

  @Post('allocations')
  @RequireScope('inventory:write')
  @ApiOperation({
    summary: 'Reserve stock for an order',
    description:
      '`all_or_nothing` (default) reserves nothing (`rejected`) unless every line fits; `partial` reserves what ' +
      'is available. The same idempotencyKey again answers 200 with the stored allocation and reserves nothing.',
  })
  @ApiCreatedResponse({ type: AllocationDto, description: 'the new allocation' })
  @ApiOkResponse({ type: AllocationDto, description: 'the allocation stored under this key before' })
  @ApiErrors({ 400: 'unknown sku, non-positive quantity, invalid body' })
  async allocate(
    @Auth() auth: AuthContext,
    @Body() dto: AllocateDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AllocationView> {
    const { allocation, created } = await this.inventory.allocate(auth, dto);
    res.status(created ? 201 : 200);
    return allocation;
  }

  @Get('allocations/:idempotencyKey')
  @RequireScope('inventory:read')
  @ApiOperation({
    summary: 'One allocation by its idempotency key',
    description: 'With what each line requested and got.',
  })
  @ApiOkResponse({ type: AllocationDto })
  @ApiErrors({ 404: 'unknown key, or one of another tenant' })
  getAllocation(@Auth() auth: AuthContext, @Param('idempotencyKey') key: string): Promise<AllocationView> {
    return this.inventory.getAllocation(auth, key);
  }

  @Post('allocations/:idempotencyKey/release')
  @HttpCode(200)
  @RequireScope('inventory:write')
  @ApiOperation({
    summary: "Return an allocation's reserved stock (idempotent)",
    description: 'A released or rejected allocation is answered as it is; stock is returned once.',
  })
  @ApiOkResponse({ type: AllocationDto })
  @ApiErrors({ 404: 'unknown key, or one of another tenant' })
  release(@Auth() auth: AuthContext, @Param('idempotencyKey') key: string): Promise<AllocationView> {
    return this.inventory.release(auth, key);
  }
}
