import { execFileSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Plain CommonJS, shared with scripts/bootstrap.js, which runs before anything is built.
export { TEMPORAL_CLI_PIP_PACKAGE, temporalCliHelp } from './temporal-cli-help';

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
