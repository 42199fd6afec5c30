import { randomUUID } from 'node:crypto';
import type { DynamicModule } from '@nestjs/common';
import { Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { RuleflowConfig } from '@ruleflow/config';
import { resolveEncryptionKeys } from '@ruleflow/config';
import { createSecretBox } from '@ruleflow/rules/node/secret-box';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { ActionTemplatesModule } from './action-templates/action-templates.module';
import { AlertsModule } from './alerts/alerts.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { AllExceptionsFilter } from './common/http-exception.filter';
import { redactUrl } from './common/redact-url';
import { RULEFLOW_CONFIG, SECRET_BOX } from './common/tokens';
import { DatabaseModule } from './database/database.module';
import { DependenciesModule } from './dependencies/dependencies.module';
import { EventsModule } from './events/events.module';
import { ExecutionsModule } from './executions/executions.module';
import { HealthModule } from './health/health.module';
import { InboundHooksModule } from './inbound-hooks/inbound-hooks.module';
import { InventoryModule } from './inventory/inventory.module';
import { IvrModule } from './ivr/ivr.module';
import { MaintenanceModule } from './maintenance/maintenance.module';
import { MetricsModule } from './metrics/metrics.module';
import { NotificationsModule } from './notifications/notifications.module';
import { RegisteredEntitiesModule } from './registered-entities/registered-entities.module';
import { RulesModule } from './rules/rules.module';
import { SchedulesModule } from './schedules/schedules.module';
import { TemporalModule } from './temporal/temporal.module';
import { TenancyModule } from './tenancy/tenancy.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Global()
@Module({})
class ConfigModule {
  static forRoot(config: RuleflowConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: RULEFLOW_CONFIG, useValue: config },
        // Throws a ConfigError in production without RULEFLOW_ENCRYPTION_KEY: the gateway does not start.
        { provide: SECRET_BOX, useFactory: () => createSecretBox(resolveEncryptionKeys(config)) },
      ],
      exports: [RULEFLOW_CONFIG, SECRET_BOX],
    };
  }
}

/** The request id: the caller's X-Request-Id when sane, else a new UUID; echoed on the response. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** pino-http's serialized request (pino-std-serializers), with the URL redacted. */
function redactRequest(req: { url?: string; query?: unknown; params?: unknown }) {
  req.url = redactUrl(req.url);
  delete req.query;
  delete req.params;
  return req;
}

@Module({})
export class AppModule {
  static forRoot(config: RuleflowConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            genReqId: requestId,
            base: { service: 'ruleflow-gateway' },
            // The request line never carries a credential into the log: hook tokens and query-string keys
            // are masked in `url`, and `query`/`params` (which repeat them) are left out.
            serializers: { req: redactRequest },
            // pino-http's request serializer logs no body; the body paths guard against one that does
            // (secrets of rule actions and action templates, see ACTION_SECRET_FIELDS).
            redact: {
              paths: [
                'req.headers.authorization',
                'req.headers["proxy-authorization"]',
                'req.headers["x-api-key"]',
                'req.headers.cookie',
                'req.body.actions[*].config.secret',
                'req.body.actions[*].config.headers',
                'req.body.onFailure[*].config.secret',
                'req.body.onFailure[*].config.headers',
                'req.body.defaultConfig.secret',
                'req.body.defaultConfig.headers',
              ],
              censor: '***',
            },
            autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
          },
        }),
        DatabaseModule,
        TemporalModule,
        MetricsModule,
        AuthModule,
        TenancyModule,
        SchedulesModule,
        HealthModule,
        RulesModule,
        ActionTemplatesModule,
        DependenciesModule,
        EventsModule,
        RegisteredEntitiesModule,
        ExecutionsModule,
        MaintenanceModule,
        InboundHooksModule,
        InventoryModule,
        NotificationsModule,
        AlertsModule,
        WebhooksModule,
        AuditModule,
        IvrModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
