import { Module } from '@nestjs/common';
import { IvrMenusController } from './menus.controller';
import { IvrMenusService } from './menus.service';

/** IVR menus (`/v1/ivr/menus`). */
@Module({
  controllers: [IvrMenusController],
  providers: [IvrMenusService],
  exports: [IvrMenusService],
})
export class IvrMenusModule {}
