import { Module } from '@nestjs/common';
import { ActionTemplatesModule } from '../action-templates/action-templates.module';
import { RuleCache } from './rule-cache';
import { RulesController } from './rules.controller';
import { RulesService } from './rules.service';

@Module({
  imports: [ActionTemplatesModule],
  controllers: [RulesController],
  providers: [RulesService, RuleCache],
  exports: [RulesService, RuleCache],
})
export class RulesModule {}
