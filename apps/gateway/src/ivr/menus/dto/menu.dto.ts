import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { IvrItemAction } from '@ruleflow/rules';
import { IVR_DIGITS, IVR_ITEM_ACTIONS, IVR_LIMITS } from '@ruleflow/rules';
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
  IsUUID,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/** Present (even as null) in the body: validated, so `null` is refused for a field that cannot be cleared. */
const present = (field: string) => (o: object) => (o as Record<string, unknown>)[field] !== undefined;

export class IvrMenuItemDto {
  @ApiProperty({ enum: IVR_DIGITS, example: '1' })
  @IsIn(IVR_DIGITS)
  digit: string;

  @ApiProperty({ example: 'Sales' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(IVR_LIMITS.labelMaxLength)
  label: string;

  @ApiProperty({ enum: IVR_ITEM_ACTIONS })
  @IsIn(IVR_ITEM_ACTIONS)
  action: IvrItemAction;

  @ApiPropertyOptional({
    nullable: true,
    description:
      '`submenu`: the id of a menu of the same tenant; `agent`/`transfer`: required (a queue, a number); `hangup`: optional; none for `repeat`/`back`',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(IVR_LIMITS.targetMaxLength)
  target?: string | null;
}

export class CreateIvrMenuDto {
  @ApiProperty({ example: 'Main menu' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(IVR_LIMITS.nameMaxLength)
  name: string;

  @ApiProperty({ example: 'Press 1 for sales, 2 for support.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(IVR_LIMITS.promptMaxLength)
  prompt: string;

  @ApiProperty({ type: [IvrMenuItemDto], description: 'one item per key at most (`0-9`, `*`, `#`)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(IVR_LIMITS.itemsMax)
  @ValidateNested({ each: true })
  @Type(() => IvrMenuItemDto)
  items: IvrMenuItemDto[];

  @ApiPropertyOptional({
    default: IVR_LIMITS.timeoutMsDefault,
    minimum: IVR_LIMITS.timeoutMsMin,
    maximum: IVR_LIMITS.timeoutMsMax,
  })
  @ValidateIf(present('timeoutMs'))
  @IsInt()
  @Min(IVR_LIMITS.timeoutMsMin)
  @Max(IVR_LIMITS.timeoutMsMax)
  timeoutMs?: number;

  @ApiPropertyOptional({
    default: IVR_LIMITS.maxRetriesDefault,
    minimum: IVR_LIMITS.maxRetriesMin,
    maximum: IVR_LIMITS.maxRetriesMax,
  })
  @ValidateIf(present('maxRetries'))
  @IsInt()
  @Min(IVR_LIMITS.maxRetriesMin)
  @Max(IVR_LIMITS.maxRetriesMax)
  maxRetries?: number;

  @ApiPropertyOptional({ nullable: true, description: 'said after an invalid key (default: a notice and the prompt)' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(IVR_LIMITS.promptMaxLength)
  invalidPrompt?: string | null;

  @ApiPropertyOptional({
    nullable: true,
    description: 'said after no key within timeoutMs (default: a notice and the prompt)',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(IVR_LIMITS.promptMaxLength)
  timeoutPrompt?: string | null;

  @ApiPropertyOptional({ nullable: true, format: 'uuid', description: 'a menu of the same tenant; no cycle' })
  @IsOptional()
  @IsUUID()
  parentMenuId?: string | null;
}

export class UpdateIvrMenuDto {
  @ApiPropertyOptional()
  @ValidateIf(present('name'))
  @IsString()
  @IsNotEmpty()
  @MaxLength(IVR_LIMITS.nameMaxLength)
  name?: string;

  @ApiPropertyOptional()
  @ValidateIf(present('prompt'))
  @IsString()
  @IsNotEmpty()
  @MaxLength(IVR_LIMITS.promptMaxLength)
  prompt?: string;

  @ApiPropertyOptional({ type: [IvrMenuItemDto] })
  @ValidateIf(present('items'))
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(IVR_LIMITS.itemsMax)
  @ValidateNested({ each: true })
  @Type(() => IvrMenuItemDto)
  items?: IvrMenuItemDto[];

  @ApiPropertyOptional({ minimum: IVR_LIMITS.timeoutMsMin, maximum: IVR_LIMITS.timeoutMsMax })
  @ValidateIf(present('timeoutMs'))
  @IsInt()
  @Min(IVR_LIMITS.timeoutMsMin)
  @Max(IVR_LIMITS.timeoutMsMax)
  timeoutMs?: number;

  @ApiPropertyOptional({ minimum: IVR_LIMITS.maxRetriesMin, maximum: IVR_LIMITS.maxRetriesMax })
  @ValidateIf(present('maxRetries'))
  @IsInt()
  @Min(IVR_LIMITS.maxRetriesMin)
  @Max(IVR_LIMITS.maxRetriesMax)
  maxRetries?: number;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(IVR_LIMITS.promptMaxLength)
  invalidPrompt?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(IVR_LIMITS.promptMaxLength)
  timeoutPrompt?: string | null;

  @ApiPropertyOptional({ nullable: true, format: 'uuid' })
  @IsOptional()
  @IsUUID()
  parentMenuId?: string | null;
}

/** A menu as the API shows it (menus.service.ts `IvrMenuResponse`). */
export class IvrMenuDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Main menu' })
  name: string;

  @ApiProperty({ example: 'Press 1 for sales, 2 for support.' })
  prompt: string;

  @ApiProperty({ type: [IvrMenuItemDto] })
  items: IvrMenuItemDto[];

  @ApiProperty({ example: 10000 })
  timeoutMs: number;

  @ApiProperty({ example: 3 })
  maxRetries: number;

  @ApiProperty({ type: String, nullable: true })
  invalidPrompt: string | null;

  @ApiProperty({ type: String, nullable: true })
  timeoutPrompt: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  parentMenuId: string | null;

  @ApiProperty({ example: 1, description: 'up by one on every change' })
  version: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
