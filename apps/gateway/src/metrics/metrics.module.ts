import type { MiddlewareConsumer, NestModule } from '@nestjs/common';
import { Global, Module } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Global()
@Module({ controllers: [MetricsController], providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule implements NestModule {
  constructor(private readonly metrics: MetricsService) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply((req: Request, res: Response, next: NextFunction) => {
        const end = process.hrtime.bigint();
        res.on('finish', () => {
          // The route pattern, not the raw path, keeps label cardinality bounded.
          const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
          const seconds = Number(process.hrtime.bigint() - end) / 1e9;
          this.metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
          this.metrics.httpDuration.observe({ method: req.method, route }, seconds);
        });
        next();
      })
      .forRoutes('*');
  }
}
