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
