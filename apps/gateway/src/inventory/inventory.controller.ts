import type { AllocationView } from '@ruleflow/contract';
import { Body, Controller, Get, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { InventoryItemView } from '@ruleflow/entities';
import type { Response } from 'express';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { AllocateDto, SetStockDto } from './dto/inventory.dto';
import { InventoryService } from './inventory.service';

@ApiTags('inventory')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('v1/inventory')
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @Put('items/:sku')
  @HttpCode(200)
  @RequireScope('inventory:write')
  @ApiOperation({ summary: "Set a SKU's quantity on hand (creates the item)" })
  @ApiOkResponse({ description: '{"sku","quantityOnHand","quantityReserved","quantityAvailable"}' })
  @ApiConflictResponse({ description: 'quantityOnHand is below the quantity currently reserved' })
  setStock(@Auth() auth: AuthContext, @Param('sku') sku: string, @Body() dto: SetStockDto): Promise<InventoryItemView> {
    return this.inventory.setStock(auth, sku, dto.quantityOnHand);
  }

  @Get('items/:sku')
  @RequireScope('inventory:read')
  @ApiOperation({ summary: 'One SKU with its on-hand, reserved and available quantities' })
  @ApiNotFoundResponse({ description: 'unknown sku, or one of another tenant' })
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
  @ApiCreatedResponse({ description: 'the new allocation' })
  @ApiOkResponse({ description: 'the allocation stored under this key before' })
  @ApiBadRequestResponse({ description: 'unknown sku, non-positive quantity, invalid body' })
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
  @ApiOperation({ summary: 'One allocation by its idempotency key' })
  @ApiNotFoundResponse({ description: 'unknown key, or one of another tenant' })
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
  @ApiNotFoundResponse({ description: 'unknown key, or one of another tenant' })
  release(@Auth() auth: AuthContext, @Param('idempotencyKey') key: string): Promise<AllocationView> {
    return this.inventory.release(auth, key);
  }
}
