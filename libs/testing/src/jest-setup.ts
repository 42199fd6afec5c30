/** Per test file (integration project): keep the Temporal worker runtime's logs to warnings and errors. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger(process.env.TEMPORAL_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });
} catch {
  // Already installed in this process by an earlier test file.
}
