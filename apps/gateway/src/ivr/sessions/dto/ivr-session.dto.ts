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

export class IvrOutcomeDto {
  @ApiProperty({ enum: ['agent', 'transfer', 'hangup', 'max_retries'] })
  type: 'agent' | 'transfer' | 'hangup' | 'max_retries';

  @ApiPropertyOptional({ type: String, nullable: true, example: '+15550123' })
  target?: string | null;
}

/** The answer to one turn of a call (IvrTurn): where the caller is now and what to say. */
export class IvrTurnDto {
  @ApiProperty({ enum: IVR_SESSION_STATES })
  state: IvrSessionState;

  @ApiProperty({ format: 'uuid' })
  menuId: string;

  @ApiProperty({ type: String, nullable: true })
  prompt: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'submenu', description: "the pressed item's action" })
  action: string | null;

  @ApiProperty({ type: String, nullable: true })
  target: string | null;

  @ApiProperty({ type: IvrOutcomeDto, nullable: true, description: 'set once the session ended' })
  outcome: IvrOutcomeDto | null;
}

export class StartedIvrSessionDto {
  @ApiProperty({ format: 'uuid' })
  sessionId: string;

  @ApiProperty({ example: 'ivr-6f1c…' })
  workflowId: string;

  @ApiProperty({ enum: IVR_SESSION_STATES, example: 'awaiting_input' })
  state: IvrSessionState;

  @ApiProperty({ format: 'uuid' })
  menuId: string;

  @ApiProperty({ type: String, nullable: true })
  prompt: string | null;
}

export class IvrHistoryEntryDto {
  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ format: 'uuid' })
  menuId: string;

  @ApiProperty({ type: String, nullable: true, example: '1' })
  input: string | null;

  @ApiProperty({ example: 'submenu' })
  result: string;
}

/** A session (IvrSessionView plus the caller). */
export class IvrSessionDto {
  @ApiProperty({ format: 'uuid' })
  sessionId: string;

  @ApiProperty({ example: 'CA0123456789abcdef' })
  callId: string;

  @ApiProperty({ type: String, nullable: true, example: '+15550100' })
  caller: string | null;

  @ApiProperty({ enum: IVR_SESSION_STATES })
  state: IvrSessionState;

  @ApiProperty({ format: 'uuid', description: 'the current menu' })
  menuId: string;

  @ApiProperty({ type: [String], description: 'the menus `back` returns to, innermost last' })
  menuStack: string[];

  @ApiProperty({ example: 0 })
  retryCount: number;

  @ApiProperty({ format: 'date-time' })
  startedAt: string;

  @ApiProperty({ format: 'date-time' })
  lastActivityAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  endedAt: string | null;

  @ApiProperty({ type: IvrOutcomeDto, nullable: true })
  outcome: IvrOutcomeDto | null;

  @ApiProperty({ type: [IvrHistoryEntryDto] })
  history: IvrHistoryEntryDto[];
}
