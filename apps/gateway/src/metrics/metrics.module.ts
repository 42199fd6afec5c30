import type { MiddlewareConsumer, NestModule } from '@nestjs/common';
import { Global, Module } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { routePattern } from '../common/route-pattern';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

@Global()
@Module({ controllers: [MetricsController], providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule implements NestModule {
  constructor(private readonly metrics: MetricsService) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply((req: Request, res: Response, next: NextFunction) => {
        const end = process.hrtime.bigint();
        // Nest mounts this middleware as a catch-all route (`/{*path}`): a request no controller took
        // still carries that route at the end, and counts as `unmatched`.
        const mount: unknown = req.route;
        res.on('finish', () => {
          // /metrics is public: every label is a bounded value the server chose, never what a caller sent.
          // The route pattern (`/v1/rules/:id`), not the raw path; every unknown path is one `unmatched`.
          const route = req.route === mount ? 'unmatched' : routePattern(req);
          const method = METHODS.has(req.method) ? req.method : 'OTHER';
          const seconds = Number(process.hrtime.bigint() - end) / 1e9;
          this.metrics.httpRequests.inc({ method, route, status: String(res.statusCode) });
          this.metrics.httpDuration.observe({ method, route }, seconds);
        });
        next();
      })
      .forRoutes('*');
  }
}
