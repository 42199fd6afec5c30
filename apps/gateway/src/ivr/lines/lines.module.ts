import { Module } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import { resolveEncryptionKeys } from '@ruleflow/config';
import { RULEFLOW_CONFIG } from '../../common/tokens';
import type { LineTokenKeys } from '@ruleflow/rules/node/line-token';
import { LinesController } from './lines.controller';
import { LINE_TOKEN_KEYS, LinesService } from './lines.service';

/** Phone lines (`/v1/ivr/lines`); exports the service the telephony webhooks find lines with. */
@Module({
  controllers: [LinesController],
  providers: [
    LinesService,
    {
      provide: LINE_TOKEN_KEYS,
      inject: [RULEFLOW_CONFIG],
      useFactory: (config: RuleflowConfig): LineTokenKeys => {
        const { current, previous } = resolveEncryptionKeys(config);
        return { current, previous };
      },
    },
  ],
  exports: [LinesService, LINE_TOKEN_KEYS],
})
export class LinesModule {}
