import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { ACTION_TYPES, type ActionType } from '@ruleflow/rules';
import { IsIn, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';

export class CreateActionTemplateDto {
  @ApiProperty({ example: 'ERP webhook' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiProperty({ enum: ACTION_TYPES })
  @IsIn(ACTION_TYPES)
  actionType: ActionType;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { url: 'https://erp.example.com/hooks' } })
  @IsObject()
  defaultConfig: Record<string, unknown>;
}

export class UpdateActionTemplateDto extends PartialType(CreateActionTemplateDto) {}
