import { Module } from '@nestjs/common';
import { ActionTemplatesController } from './action-templates.controller';
import { ActionTemplatesService } from './action-templates.service';

@Module({
  controllers: [ActionTemplatesController],
  providers: [ActionTemplatesService],
  exports: [ActionTemplatesService],
})
export class ActionTemplatesModule {}
