import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { concatMap } from 'rxjs';
import type { AuthedRequest } from '../auth/auth-context';
import { describeCaller, describeChange } from './audit-record';
import { AuditService } from './audit.service';
import { NOT_AUDITED_KEY } from './not-audited.decorator';

const AUDITED_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Records every successful POST/PUT/PATCH/DELETE under /v1 made with an API key, unless the route is
 * marked @NotAudited(). Unauthenticated routes (hooks, health) carry no key and are not audited; a
 * request that fails (validation, 403, 404, …) never reaches the recording step.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  // The Nest Logger is backed by nestjs-pino (app.useLogger), so this is a structured pino log.
  private readonly logger = new Logger(AuditInterceptor.name);

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<AuthedRequest & { id?: unknown }>();
    const auth = req.auth;
    const targets = [context.getHandler(), context.getClass()];
    if (
      !auth ||
      !AUDITED_METHODS.has(req.method) ||
      this.reflector.getAllAndOverride<boolean>(NOT_AUDITED_KEY, targets)
    ) {
      return next.handle();
    }
    const path = routePattern(this.reflector, context);
    if (!path.startsWith('/v1/')) return next.handle();

    // Recorded after the handler succeeded and before the answer is sent, so a client that reads the
    // log right after its change finds it.
    return next.handle().pipe(
      concatMap(async (response: unknown) => {
        try {
          const record = describeChange(
            {
              method: req.method,
              path,
              params: req.params,
              body: req.body,
              requestId: req.id === undefined ? undefined : String(req.id),
            },
            response,
          );
          await this.audit.record(auth, record, describeCaller(req.ip, req.headers['user-agent']));
        } catch (err) {
          // The change is already committed: failing the request now would invite a retry of a change
          // that happened. Log loudly and answer as the handler did.
          this.logger.error(
            { err, method: req.method, path, tenantId: auth.tenantId, apiKeyId: auth.apiKeyId },
            'could not write the audit log row',
          );
        }
        return response;
      }),
    );
  }
}

/** The route pattern (`/v1/rules/:id`) from the controller and handler paths, never the raw URL. */
function routePattern(reflector: Reflector, context: ExecutionContext): string {
  const parts = [context.getClass(), context.getHandler()].flatMap((target) => {
    const path = reflector.get<string | string[] | undefined>(PATH_METADATA, target);
    return (Array.isArray(path) ? (path[0] ?? '') : (path ?? '')).split('/');
  });
  return `/${parts.filter((p) => p.length > 0).join('/')}`;
}
