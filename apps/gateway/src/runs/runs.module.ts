import { Global, Module } from '@nestjs/common';
import { ExecutionDispatcher } from './execution-dispatcher.service';
import { RunLauncher } from './run-launcher.service';

/** Starting rule runs: the launcher and the outbox dispatcher behind it. */
@Global()
@Module({ providers: [ExecutionDispatcher, RunLauncher], exports: [ExecutionDispatcher, RunLauncher] })
export class RunsModule {}
