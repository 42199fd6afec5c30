import { Module } from '@nestjs/common';
import { ActionTemplatesController } from './action-templates.controller';
import { RuleSecrets } from '../rules/rule-secrets.service';
import { ActionTemplatesService } from './action-templates.service';

@Module({
  controllers: [ActionTemplatesController],
  // RuleSecrets lives here because rules import this module (templates and rules share the secrets).
  providers: [ActionTemplatesService, RuleSecrets],
  exports: [ActionTemplatesService, RuleSecrets],
})
export class ActionTemplatesModule {}
