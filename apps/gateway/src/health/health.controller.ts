import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Client, Connection } from '@temporalio/client';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/scopes';
import { TEMPORAL_CLIENT } from '../common/tokens';

type Check = 'up' | 'down';

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}

const CHECK_SCHEMA = { type: 'string', enum: ['up', 'down'] };
const HEALTH_SCHEMA = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'error'] },
    checks: { type: 'object', properties: { database: CHECK_SCHEMA, temporal: CHECK_SCHEMA } },
  },
  example: { status: 'ok', checks: { database: 'up', temporal: 'up' } },
};

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
  ) {}

  @Public()
  @Get()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Liveness and readiness: the database and Temporal',
    description: 'No API key. 200 when both checks are up; 503 with the failing check `"down"` otherwise.',
  })
  @ApiOkResponse({ description: 'every check is up', schema: HEALTH_SCHEMA })
  @ApiResponse({ status: 503, description: 'a check is down', schema: HEALTH_SCHEMA })
  async health(@Res({ passthrough: true }) res: Response) {
    const [database, temporal] = await Promise.all([
      withTimeout(this.db.query('SELECT 1'), 2000).then<Check, Check>(
        () => 'up',
        () => 'down',
      ),
      // A gRPC deadline (not a race) so no retry outlives the request.
      this.checkTemporal(2000).then<Check, Check>(
        () => 'up',
        () => 'down',
      ),
    ]);
    const ok = database === 'up' && temporal === 'up';
    if (!ok) res.status(503);
    return { status: ok ? 'ok' : 'error', checks: { database, temporal } };
  }

  private async checkTemporal(timeoutMs: number): Promise<void> {
    const connection = this.temporal.connection as Connection;
    await connection.withDeadline(Date.now() + timeoutMs, () => connection.healthService.check({}));
  }
}
