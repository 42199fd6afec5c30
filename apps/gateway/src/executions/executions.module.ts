import { Global, Module } from '@nestjs/common';
import { ExecutionApprovalsController } from './execution-approvals.controller';
import { ExecutionApprovalsService } from './execution-approvals.service';
import { ExecutionDispatcher } from './execution-dispatcher.service';
import { ExecutionsController } from './executions.controller';
import { ExecutionsService } from './executions.service';
import { ExecutionLauncher } from './execution-launcher.service';

/**
 * Executions: reading and operating on them (`/v1/executions`), and starting them (the launcher and
 * the outbox dispatcher behind it). Global because events, hooks, rules and schedules all launch runs.
 */
@Global()
@Module({
  controllers: [ExecutionsController, ExecutionApprovalsController],
  providers: [ExecutionsService, ExecutionApprovalsService, ExecutionDispatcher, ExecutionLauncher],
  exports: [ExecutionDispatcher, ExecutionLauncher],
})
export class ExecutionsModule {}
