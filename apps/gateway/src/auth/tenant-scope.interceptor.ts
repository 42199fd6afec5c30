import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { inTenantScope } from '@ruleflow/entities';
import { Observable } from 'rxjs';
import type { AuthedRequest } from './auth-context';

/**
 * Runs each authenticated request in its tenant's database scope, so row-level security shows it
 * that tenant's rows only. Requests without an API key run in no scope and see no tenant rows.
 */
@Injectable()
export class TenantScopeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const tenantId = context.switchToHttp().getRequest<AuthedRequest>().auth?.tenantId;
    if (!tenantId) return next.handle();
    return new Observable((subscriber) => inTenantScope(tenantId, () => next.handle().subscribe(subscriber)));
  }
}
