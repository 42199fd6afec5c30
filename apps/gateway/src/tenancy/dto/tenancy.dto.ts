import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO8601,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { SCOPES, type Scope } from '../../auth/scopes';

export class CreateTenantDto {
  @ApiProperty({ example: 'acme' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, {
    message: 'name must be 1..100 letters, digits, _ . - (starting alphanumeric)',
  })
  name: string;
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ci pipeline' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ format: 'uuid', description: "default: the caller's tenant" })
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  @ApiProperty({ enum: SCOPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true })
  scopes: Scope[];

  @ApiPropertyOptional({ minimum: 1, maximum: 3650 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expiresInDays?: number;

  @ApiPropertyOptional({ minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  rateLimitPerHour?: number;

  @ApiPropertyOptional({ minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2_000_000_000)
  usageQuota?: number;
}

/** `GET /v1/api-keys`: the operator may name another tenant. */
export class ListApiKeysQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: "the tenant whose keys to list (operator only); default: the caller's tenant",
  })
  @IsOptional()
  @IsUUID()
  tenantId?: string;
}

/** `PATCH /v1/api-keys/:id`: only the fields sent change; `null` removes a limit. */
export class UpdateApiKeyDto {
  @ApiPropertyOptional({ example: 'ci pipeline' })
  @ValidateIf((_, v) => v !== undefined) // null is no name: refused, not skipped
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: Number, minimum: 1, nullable: true, description: 'null: no hourly limit' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  rateLimitPerHour?: number | null;

  @ApiPropertyOptional({ type: Number, minimum: 1, nullable: true, description: 'null: no quota' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2_000_000_000)
  usageQuota?: number | null;

  @ApiPropertyOptional({ description: 'false: refused (401) from the next request on, until enabled again' })
  @ValidateIf((_, v) => v !== undefined)
  @IsBoolean()
  enabled?: boolean;
}

export class ApiKeyUsageQueryDto {
  @ApiPropertyOptional({
    example: '2026-11-22T00:00:00Z',
    description: 'hours starting at or after this instant (default: the last 24 hours)',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ format: 'uuid' })
  tenantId: string;

  @ApiProperty({ description: 'the first characters of the key, to recognise it' })
  prefix: string;

  @ApiProperty({ enum: SCOPES, isArray: true })
  scopes: Scope[];

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt: string | null;

  @ApiProperty({ type: Number, nullable: true })
  rateLimitPerHour: number | null;

  @ApiProperty({ type: Number, nullable: true })
  usageQuota: number | null;

  @ApiProperty()
  usageCount: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastUsedAt: string | null;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'set once the key is revoked' })
  revokedAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

/** The answer to POST /v1/api-keys: the key with its plaintext, shown only here. */
export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({
    example: 'rf_4kQ…',
    description: 'the plaintext key (`rf_…`): shown only in this answer, store it now',
  })
  key: string;
}

export class ApiKeyPageDto {
  @ApiProperty({ type: [ApiKeyDto] })
  items: ApiKeyDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export class ApiKeyUsageHourDto {
  @ApiProperty({ format: 'date-time', description: 'the start of the hour (UTC)' })
  hour: string;

  @ApiProperty({ description: 'requests made with the key in that hour, those refused with 429 included' })
  count: number;
}

export class ApiKeyUsageDto {
  @ApiProperty({ type: [ApiKeyUsageHourDto], description: 'hours with at least one request, oldest first' })
  items: ApiKeyUsageHourDto[];
}

export class TenantDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'acme' })
  name: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class TenantPageDto {
  @ApiProperty({ type: [TenantDto] })
  items: TenantDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}
