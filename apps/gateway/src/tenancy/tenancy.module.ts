import { Module } from '@nestjs/common';
import { TenancyController } from './tenancy.controller';
import { TenancyService } from './tenancy.service';

/** Tenants and API key management (`/v1/tenants`, `/v1/api-keys`). */
@Module({ controllers: [TenancyController], providers: [TenancyService] })
export class TenancyModule {}
