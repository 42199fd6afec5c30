import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { RuleflowConfig } from '@ruleflow/config';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { formBody, inputGuard, verifyUtf8 } from './common/json-guard';
import { QuietStartupLogger } from './common/quiet-startup-logger';
import { createValidationPipe } from './common/validation';
import { buildOpenApiDocument } from './openapi';

/** Build the gateway app (used by main.ts and by the end-to-end tests alike). */
export async function createGatewayApp(config: RuleflowConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
  });
  // Nest's module and route listing (~150 lines at every start) at debug: see QuietStartupLogger.
  app.useLogger(new QuietStartupLogger(app.get(Logger)));
  // Whose X-Forwarded-For names the caller (the audit log's `ip`): by default only local proxies'.
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  // Bodies over 1 MiB are a 413 (mapped by the exception filter); bodies that are not UTF-8 a 400.
  app.useBodyParser('json', { limit: '1mb', strict: true, verify: verifyUtf8 });
  // The telephony webhooks post forms (64 KiB at most, flat, each field once): read here, checked below too.
  app.use(['/v1/ivr/voice', '/v1/ivr/status'], formBody);
  // NUL bytes, unpaired surrogates, broken escapes, pollution keys: a 400 before any route sees them.
  app.use(inputGuard);
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
