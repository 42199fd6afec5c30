import { Module } from '@nestjs/common';
import { LinesModule } from './lines/lines.module';
import { IvrMenusModule } from './menus/menus.module';
import { IvrSessionsModule } from './sessions/ivr-sessions.module';

/**
 * IVR (API.md "IVR (phone menus)" and "Phone lines"): menus, call sessions and phone lines, one
 * sub-module each.
 */
@Module({
  imports: [IvrMenusModule, IvrSessionsModule, LinesModule],
})
export class IvrModule {}
