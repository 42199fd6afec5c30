import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processCommandLine } from './processes';

/** What the process that owns a data directory tells others about itself. */
export interface DataDirOwner {
  pid: number;
  /** What it runs, e.g. `start` or `migrate`. */
  role: string;
  /** Set once the owner's embedded PostgreSQL is up, so a second process can use it instead of starting another. */
  databaseUrl?: string;
}

/** Another live process owns the data directory. */
export class DataDirBusyError extends Error {
  constructor(
    message: string,
    readonly owner: DataDirOwner,
  ) {
    super(message);
    this.name = 'DataDirBusyError';
  }
}

/** A held lock: update what others read, release it. */
export interface DataDirLock {
  update(info: Partial<Omit<DataDirOwner, 'pid'>>): void;
  release(): void;
}

function readOwner(file: string): DataDirOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as DataDirOwner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** The live owner of a data directory, if any (a node process whose pid is in the lock file). */
export function dataDirOwner(dataDir: string): DataDirOwner | undefined {
  const owner = readOwner(path.join(dataDir, 'owner.json'));
  if (!owner || owner.pid === process.pid) return undefined;
  const cmd = processCommandLine(owner.pid);
  // A reused pid that is not node is not our owner.
  return cmd && /node/.test(cmd) ? owner : undefined;
}

/**
 * Make this process the only one running embedded services on a data directory: two PostgreSQL
 * servers on one data folder, or two Temporal servers on one SQLite file, would corrupt them.
 * A lock whose owner is dead (kill -9) is taken over.
 */
export function acquireDataDirLock(dataDir: string, role: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'owner.json');
  let info: DataDirOwner = { pid: process.pid, role };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(info), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
      const owner = dataDirOwner(dataDir);
      if (owner) {
        throw new DataDirBusyError(
          `another Ruleflow process (pid ${owner.pid}, ${owner.role}) is using ${dataDir}. ` +
            'Stop it first, or set RULEFLOW_DATA_DIR to another folder.',
          owner,
        );
      }
      rmSync(file, { force: true });
    }
  }
  const release = () => {
    if (readOwner(file)?.pid === process.pid) rmSync(file, { force: true });
    process.removeListener('exit', release);
  };
  process.on('exit', release);
  return {
    update(next) {
      info = { ...info, ...next };
      writeFileSync(file, JSON.stringify(info));
    },
    release,
  };
}
