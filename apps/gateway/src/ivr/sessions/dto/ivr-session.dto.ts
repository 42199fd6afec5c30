import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IVR_SESSION_STATES } from '@ruleflow/entities';
import type { IvrSessionState } from '@ruleflow/entities';
import { IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../common/pagination';

/** Bounds of what a caller or provider sends (a Twilio CallSid is 34 characters, a phone number 16). */
export const IVR_SESSION_LIMITS = { callIdMaxLength: 200, callerMaxLength: 200 } as const;

export class CreateIvrSessionDto {
  @ApiProperty({ description: 'the menu the call starts in (its tree is snapshotted now)' })
  @IsUUID('all', { message: 'menuId must be the id of a menu' })
  menuId: string;

  @ApiProperty({
    description: 'the provider call id; one session per call',
    maxLength: IVR_SESSION_LIMITS.callIdMaxLength,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(IVR_SESSION_LIMITS.callIdMaxLength)
  callId: string;

  @ApiPropertyOptional({ description: 'who calls (a phone number)', maxLength: IVR_SESSION_LIMITS.callerMaxLength })
  @IsOptional()
  @IsString()
  @MaxLength(IVR_SESSION_LIMITS.callerMaxLength)
  caller?: string;
}

export class IvrInputDto {
  @ApiProperty({ description: 'one DTMF key: 0-9, * or #', example: '1' })
  @IsString()
  @Matches(/^[0-9*#]$/, { message: 'digit must be one of 0-9, * or #' })
  digit: string;
}

export class ListIvrSessionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: IVR_SESSION_STATES })
  @IsOptional()
  @IsIn(IVR_SESSION_STATES)
  state?: IvrSessionState;

  @ApiPropertyOptional({ description: 'sessions now in this menu' })
  @IsOptional()
  @IsUUID('all', { message: 'menuId must be the id of a menu' })
  menuId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(IVR_SESSION_LIMITS.callIdMaxLength)
  callId?: string;
}
