import type { LoggerService } from '@nestjs/common';
import { QuietStartupLogger } from './quiet-startup-logger';

/** A logger that records what reaches it, by level. */
function recorder() {
  const lines: Array<[string, unknown, unknown[]]> = [];
  const at =
    (level: string) =>
    (message: unknown, ...params: unknown[]) =>
      void lines.push([level, message, params]);
  const logger: LoggerService = {
    log: at('info'),
    error: at('error'),
    warn: at('warn'),
    debug: at('debug'),
    verbose: at('verbose'),
    fatal: at('fatal'),
  };
  return { lines, logger };
}

describe('QuietStartupLogger', () => {
  it("moves Nest's module and route listing to debug and keeps everything else as it was", () => {
    const { lines, logger } = recorder();
    const quiet = new QuietStartupLogger(logger);
    quiet.log('AppModule dependencies initialized', 'InstanceLoader');
    quiet.log('RulesController {/v1/rules}:', 'RoutesResolver');
    quiet.log('Mapped {/v1/rules, POST} route', 'RouterExplorer');
    quiet.log('Nest application successfully started', 'NestApplication');
    quiet.log('a line without a context');
    quiet.warn('row-level security bypassed', 'Database');
    quiet.error('cannot resolve a dependency', 'trace', 'InstanceLoader');
    expect(lines.map(([level, message]) => [level, message])).toEqual([
      ['debug', 'AppModule dependencies initialized'],
      ['debug', 'RulesController {/v1/rules}:'],
      ['debug', 'Mapped {/v1/rules, POST} route'],
      ['info', 'Nest application successfully started'],
      ['info', 'a line without a context'],
      ['warn', 'row-level security bypassed'],
      ['error', 'cannot resolve a dependency'],
    ]);
    expect(lines[0]![2]).toEqual(['InstanceLoader']);
  });
});
