import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';

/** Present (even as null) in the body: validated, so `null` is refused for a field that cannot be cleared. */
const present = (field: string) => (o: object) => (o as Record<string, unknown>)[field] !== undefined;

export const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
/** Twilio auth tokens are 32 hex characters; any 16..128 letters and digits are accepted. */
export const AUTH_TOKEN = /^[A-Za-z0-9]{16,128}$/;
/** E.164. */
export const PHONE_NUMBER = /^\+[1-9][0-9]{1,14}$/;

export class CreateLineDto {
  @ApiProperty({ example: 'Support line' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ format: 'uuid', description: 'the root menu of the calls (a menu of the same tenant)' })
  @IsUUID()
  menuId: string;

  @ApiProperty({ enum: ['twilio'] })
  @IsIn(['twilio'])
  provider: 'twilio';

  @ApiProperty({ example: 'AC0123456789abcdef0123456789abcdef' })
  @IsString()
  @Matches(ACCOUNT_SID, { message: 'accountSid must be AC followed by 32 hex digits' })
  accountSid: string;

  @ApiProperty({ description: "the provider's auth token: sealed at rest, never returned", writeOnly: true })
  @IsString()
  @Matches(AUTH_TOKEN, { message: 'authToken must be 16..128 letters or digits' })
  authToken: string;

  @ApiProperty({ example: '+15551234567', description: 'E.164' })
  @IsString()
  @Matches(PHONE_NUMBER, { message: 'phoneNumber must be an E.164 number (+ and up to 15 digits)' })
  phoneNumber: string;
}

export class UpdateLineDto {
  @ApiPropertyOptional()
  @ValidateIf(present('name'))
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @ValidateIf(present('menuId'))
  @IsUUID()
  menuId?: string;

  @ApiPropertyOptional()
  @ValidateIf(present('accountSid'))
  @IsString()
  @Matches(ACCOUNT_SID, { message: 'accountSid must be AC followed by 32 hex digits' })
  accountSid?: string;

  @ApiPropertyOptional({ writeOnly: true })
  @ValidateIf(present('authToken'))
  @IsString()
  @Matches(AUTH_TOKEN, { message: 'authToken must be 16..128 letters or digits' })
  authToken?: string;

  @ApiPropertyOptional()
  @ValidateIf(present('phoneNumber'))
  @IsString()
  @Matches(PHONE_NUMBER, { message: 'phoneNumber must be an E.164 number (+ and up to 15 digits)' })
  phoneNumber?: string;
}

/** A phone line as the API shows it (lines.service.ts `LineResponse`): never its authToken. */
export class LineDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Support line' })
  name: string;

  @ApiProperty({ format: 'uuid' })
  menuId: string;

  @ApiProperty({ enum: ['twilio'] })
  provider: 'twilio';

  @ApiProperty({ example: 'AC0123456789abcdef0123456789abcdef' })
  accountSid: string;

  @ApiProperty({ example: '+15550100' })
  phoneNumber: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'https://ruleflow.example.com/v1/ivr/voice/<token>',
    description: "the provider's voice webhook; null when the key the line's token was made with is gone",
  })
  voiceUrl: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'https://ruleflow.example.com/v1/ivr/status/<token>' })
  statusCallbackUrl: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
