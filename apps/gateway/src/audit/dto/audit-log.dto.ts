import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';

export class ListAuditLogsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'rule', description: 'rule, api_key, tenant, action_template, entity, alert, …' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  resourceType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  resourceId?: string;

  @ApiPropertyOptional({ example: 'update', description: 'create, update, delete, or a verb such as activate' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'changes made with this API key' })
  @IsOptional()
  @IsUUID()
  apiKeyId?: string;

  @ApiPropertyOptional({ example: '2026-11-22T10:00:00Z', description: 'changes at or after this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ example: '2026-11-23T10:00:00Z', description: 'changes before this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}

export class AuditLogDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'activate' })
  action: string;

  @ApiProperty({ example: 'rule' })
  resourceType: string;

  @ApiProperty({ type: String, nullable: true })
  resourceId: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  apiKeyId: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      '{"method","path" (route pattern),"requestId","params"?,"fields" (body keys),"name"?}; never body values',
  })
  details: Record<string, unknown>;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '203.0.113.7',
    description: "the caller's address (behind a proxy: the client it reports in X-Forwarded-For)",
  })
  ip: string | null;

  @ApiProperty({ type: String, nullable: true, description: "the caller's User-Agent, at most 512 characters" })
  userAgent: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class AuditLogPageDto {
  @ApiProperty({ type: [AuditLogDto] })
  items: AuditLogDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}
