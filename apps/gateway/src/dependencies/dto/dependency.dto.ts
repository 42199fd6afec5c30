import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

export class CreateDependencyDto {
  @ApiProperty({
    format: 'uuid',
    description: 'The rule that runs (as a child workflow) after every successful run of this one',
  })
  @IsUUID('all')
  childRuleId: string;
}
