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

/** An action template as the API shows it (secrets of its type masked). */
export class ActionTemplateDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ERP webhook' })
  name: string;

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty({ enum: ACTION_TYPES })
  actionType: ActionType;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { url: 'https://erp.example.com/hooks', method: 'POST' },
    description: "merged under the config of every rule action naming the template; secrets shown as '********'",
  })
  defaultConfig: Record<string, unknown>;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
