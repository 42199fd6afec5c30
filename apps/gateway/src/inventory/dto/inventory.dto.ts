import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ALLOCATION_MODES, ALLOCATION_STATUSES, type AllocationMode, type AllocationStatus } from '@ruleflow/rules';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

/** Quantities are PostgreSQL integers. */
const MAX_QUANTITY = 2_000_000_000;

export class SetStockDto {
  @ApiProperty({ minimum: 0, description: 'below the reserved quantity → 409' })
  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  quantityOnHand: number;
}

export class AllocationLineDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  sku: string;

  @ApiProperty({ minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity: number;
}

export class AllocateDto {
  @ApiProperty({ description: 'the same key again returns the stored allocation and reserves nothing' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  idempotencyKey: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  orderId: string;

  @ApiProperty({ type: [AllocationLineDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => AllocationLineDto)
  lines: AllocationLineDto[];

  @ApiPropertyOptional({ enum: ALLOCATION_MODES, default: 'all_or_nothing' })
  @IsOptional()
  @IsIn(ALLOCATION_MODES)
  mode?: AllocationMode;
}

/** A SKU's stock. */
export class InventoryItemDto {
  @ApiProperty({ example: 'SKU-1' })
  sku: string;

  @ApiProperty({ example: 10 })
  quantityOnHand: number;

  @ApiProperty({ example: 3, description: 'held by allocations not yet released' })
  quantityReserved: number;

  @ApiProperty({ example: 7, description: 'quantityOnHand - quantityReserved' })
  quantityAvailable: number;
}

export class AllocationLineResultDto {
  @ApiProperty({ example: 'SKU-1' })
  sku: string;

  @ApiProperty({ example: 2 })
  requested: number;

  @ApiProperty({ example: 2 })
  allocated: number;
}

/** An allocation (AllocationView). */
export class AllocationDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'order-1001' })
  idempotencyKey: string;

  @ApiProperty({ example: '1001' })
  orderId: string;

  @ApiProperty({ enum: ALLOCATION_STATUSES })
  status: AllocationStatus;

  @ApiProperty({ type: [AllocationLineResultDto] })
  lines: AllocationLineResultDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
