import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { APPROVAL_LIMITS } from '@ruleflow/rules';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** `POST /v1/executions/:id/approve` and `/reject`: who decides, and why. */
export class ApprovalDecisionDto {
  @ApiProperty({
    maxLength: APPROVAL_LIMITS.maxApproverLength,
    example: 'alice',
    description: "Who decides; must be among the waiting action's `approvers` when it names them (else 403).",
  })
  @IsString()
  @IsNotEmpty()
  @Matches(/\S/, { message: 'by must not be blank' })
  @MaxLength(APPROVAL_LIMITS.maxApproverLength)
  by!: string;

  @ApiPropertyOptional({ maxLength: APPROVAL_LIMITS.maxMessageLength, example: 'checked with the customer' })
  @IsOptional()
  @IsString()
  @MaxLength(APPROVAL_LIMITS.maxMessageLength)
  comment?: string;
}
