import type { OnApplicationBootstrap } from '@nestjs/common';
import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyGuard } from './auth.guard';

@Global()
@Module({
  providers: [ApiKeysService, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ApiKeysService],
})
export class AuthModule implements OnApplicationBootstrap {
  constructor(private readonly keys: ApiKeysService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.keys.bootstrapAdminKey();
  }
}
