import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, Matches } from 'class-validator';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export class RegisterEntityDto {
  @ApiProperty({ example: 'orders', description: 'the table or view name, without schema' })
  @Matches(IDENTIFIER, { message: 'name must be a plain SQL identifier (letters, digits, _; at most 63)' })
  name: string;

  @ApiPropertyOptional({ default: 'public', description: 'exact, case-sensitive; system schemas are refused' })
  @IsOptional()
  @Matches(IDENTIFIER, { message: 'schema must be a plain SQL identifier (letters, digits, _; at most 63)' })
  schema?: string;

  @ApiProperty({ enum: ['table', 'view'] })
  @IsIn(['table', 'view'])
  type: 'table' | 'view';

  @ApiPropertyOptional({
    default: false,
    description: 'emit on_create/on_update/on_delete events from row changes (needs the admin scope)',
  })
  @IsOptional()
  @IsBoolean()
  capture?: boolean;
}

/** A registered table or view. */
export class RegisteredEntityDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'orders' })
  name: string;

  @ApiProperty({ example: 'public' })
  schema: string;

  @ApiProperty({ enum: ['table', 'view'] })
  type: 'table' | 'view';

  @ApiProperty({ description: 'its row changes emit events' })
  capture: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
