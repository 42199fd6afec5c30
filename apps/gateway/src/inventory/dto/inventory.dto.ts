import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ALLOCATION_MODES, type AllocationMode } from '@ruleflow/rules';
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
