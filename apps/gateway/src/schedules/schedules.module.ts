import { Global, Module } from '@nestjs/common';
import { RuleSchedulesService } from './rule-schedules.service';

/** Temporal Schedules behind `scheduled` rules. */
@Global()
@Module({ providers: [RuleSchedulesService], exports: [RuleSchedulesService] })
export class SchedulesModule {}
