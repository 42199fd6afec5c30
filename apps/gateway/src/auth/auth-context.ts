import type { ExecutionContext } from '@nestjs/common';
import { createParamDecorator, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';

/** Who is calling: resolved from the API key by the auth guard. */
export interface AuthContext {
  apiKeyId: string;
  tenantId: string;
  scopes: string[];
}

export type AuthedRequest = Request & { auth?: AuthContext };

/** Injects the caller's AuthContext into a handler. */
export const Auth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext => {
  const req = ctx.switchToHttp().getRequest<AuthedRequest>();
  if (!req.auth) throw new UnauthorizedException('missing API key');
  return req.auth;
});
