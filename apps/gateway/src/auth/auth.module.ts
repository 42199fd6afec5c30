import type { OnApplicationBootstrap } from '@nestjs/common';
import { Global, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { asSystem } from '@ruleflow/entities';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyGuard } from './auth.guard';
import { KeyUsageCounter } from './key-usage-counter';
import { TenantScopeInterceptor } from './tenant-scope.interceptor';

@Global()
@Module({
  providers: [
    ApiKeysService,
    KeyUsageCounter,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_INTERCEPTOR, useClass: TenantScopeInterceptor },
  ],
  exports: [ApiKeysService, KeyUsageCounter],
})
export class AuthModule implements OnApplicationBootstrap {
  constructor(private readonly keys: ApiKeysService) {}

  async onApplicationBootstrap(): Promise<void> {
    await asSystem(() => this.keys.bootstrapAdminKey());
  }
}
