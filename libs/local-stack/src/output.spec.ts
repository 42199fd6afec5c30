import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBannerLines } from './output';

describe("npm start's banner", () => {
  it('is the one README.md shows (labels, order, spacing), given the same values', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    const block = /it prints:\n\n```\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const shown = block!.split('\n').map((line) => line.replace(/^\[ruleflow\] /, ''));
    expect(shown).toEqual(
      startBannerLines({
        seconds: 9.8,
        api: 'http://localhost:3000',
        temporalUi: 'http://localhost:8233',
        adminKey: 'rf_O0rYh2mRkTq9',
        adminKeySource: 'kept in .ruleflow/admin.key; set RULEFLOW_ADMIN_KEY to choose your own',
        secretsKeyId: '5fea31ac',
        secretsKeySource:
          'kept in /home/you/ruleflow/.ruleflow/encryption.key; set RULEFLOW_ENCRYPTION_KEY to choose your own',
      }),
    );
    // Every line of the banner carries the launcher's label.
    expect(block!.split('\n').every((line) => line.startsWith('[ruleflow] '))).toBe(true);
  });
});
