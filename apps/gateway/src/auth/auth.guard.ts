import type { CanActivate, ExecutionContext } from '@nestjs/common';
import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { Response } from 'express';
import { Reflector } from '@nestjs/core';
import { asSystem } from '@ruleflow/entities';
import { hasKeyInQuery } from '../common/redact-url';
import { ApiKeysService } from './api-keys.service';
import type { AuthedRequest } from './auth-context';
import type { Scope } from './scopes';
import { hasScope, PUBLIC_KEY, SCOPES_KEY } from './scopes';

/** Bearer / X-API-Key authentication and per-route scopes, on every route not marked @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    // On every route, public ones too: a key in a URL ends up in proxies' and browsers' histories.
    if (hasKeyInQuery(req.originalUrl ?? req.url)) {
      throw new BadRequestException(
        'API keys are not accepted in the query string; send the key in the Authorization or X-API-Key header',
      );
    }
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const presented = extractKey(req.headers.authorization, req.headers['x-api-key']);
    if (!presented) throw new UnauthorizedException('missing API key (Authorization: Bearer <key> or X-API-Key)');
    // Keys are looked up before the tenant is known.
    const result = await asSystem(() => this.keys.authenticate(presented));
    if (!result.ok) {
      if (result.status === 401) throw new UnauthorizedException(result.reason);
      if (result.retryAfterSeconds !== undefined) {
        context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(result.retryAfterSeconds));
      }
      throw new HttpException(result.reason, HttpStatus.TOO_MANY_REQUESTS);
    }
    req.auth = result.auth;
    const needed = this.reflector.getAllAndOverride<Scope | undefined>(SCOPES_KEY, targets);
    if (needed && !hasScope(result.auth.scopes, needed)) {
      throw new ForbiddenException(`API key lacks the scope "${needed}"`);
    }
    return true;
  }
}

function extractKey(authorization: string | undefined, xApiKey: string | string[] | undefined): string | undefined {
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1]) return match[1];
  }
  if (typeof xApiKey === 'string' && xApiKey.trim()) return xApiKey.trim();
  return undefined;
}
