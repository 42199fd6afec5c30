import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { isProcessAlive } from '@ruleflow/local-stack';
import { freePort } from './ports';
import { killTree } from './process-tree';
import { testTemporalAddress } from './temporal';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** A real gateway OS process run from the sources, with everything it wrote to stdout and stderr. */
export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  output: string[];
  /** Resolves once `GET /health` answers 200 (throws with the output if it exits or takes over 90 s). */
  waitHealthy(): Promise<void>;
  kill(): void;
}

export interface GatewayProcessOptions {
  /** The `node -r` hook from writeTsRegister. */
  register: string;
  databaseUrl: string;
  taskQueue: string;
  adminKey: string;
  dataDir: string;
  logLevel?: string;
}

/** Start `apps/gateway/src/main.ts` on a free port of 127.0.0.1 against the test database and Temporal. */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const port = await freePort();
  const { DATABASE_URL: _d, PORT: _p, LOG_LEVEL: _l, ...inherited } = process.env;
  const child = spawn(
    process.execPath,
    ['-r', options.register, path.join(ROOT, 'apps', 'gateway', 'src', 'main.ts')],
    {
      cwd: ROOT,
      env: {
        ...inherited,
        NODE_ENV: 'test',
        LOG_LEVEL: options.logLevel ?? 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: options.databaseUrl,
        DATABASE_POOL_SIZE: '4',
        TEMPORAL_ADDRESS: testTemporalAddress(),
        TEMPORAL_TASK_QUEUE: options.taskQueue,
        RULEFLOW_ADMIN_KEY: options.adminKey,
        RULEFLOW_DATA_DIR: options.dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    url,
    output,
    async waitHealthy() {
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}:\n${output.join('')}`);
        const healthy = await fetch(`${url}/health`).then(
          (r) => r.status === 200,
          () => false, // not listening yet
        );
        if (healthy) return;
        if (Date.now() > deadline) throw new Error(`gateway not healthy after 90 s:\n${output.join('')}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    kill() {
      if (child.pid && isProcessAlive(child.pid)) killTree(child.pid);
    },
  };
}
