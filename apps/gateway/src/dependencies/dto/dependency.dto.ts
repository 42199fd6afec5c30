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

/** An edge of the rule DAG. */
export class DependencyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  parentRuleId: string;

  @ApiProperty({ format: 'uuid' })
  childRuleId: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

/** A rule as listed among another rule's parents or children. */
export class RuleSummaryDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Notify when order ships' })
  name: string;

  @ApiProperty({ example: 'orders' })
  entity: string;

  @ApiProperty()
  isActive: boolean;

  @ApiProperty({ example: 'on_update' })
  triggerType: string;
}

export class DependenciesDto {
  @ApiProperty({ type: [RuleSummaryDto], description: 'the rules this one starts after each successful run' })
  children: RuleSummaryDto[];

  @ApiProperty({ type: [RuleSummaryDto], description: 'the rules whose successful runs start this one' })
  parents: RuleSummaryDto[];
}
