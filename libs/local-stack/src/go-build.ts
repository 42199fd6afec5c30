/**
 * Go programs built from the module proxy on first use and kept (with files copied from their module)
 * in a cache folder: the Temporal Server, its schema tool and the Temporal UI server.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The Go toolchain the pinned Temporal Server needs; an older `go` (1.21+) downloads it by itself. */
export const GO_TOOLCHAIN = 'go1.27.3';
const COMPLETE = '.complete';

/** `go` on PATH, else the usual install folder. */
export function findGo(what: string): string {
  const exe = process.platform === 'win32' ? 'go.exe' : 'go';
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of [...dirs, '/usr/local/go/bin', path.join(os.homedir(), 'go', 'bin')]) {
    if (existsSync(path.join(dir, exe))) return path.join(dir, exe);
  }
  throw new Error(
    `Go is needed to build ${what} (any go 1.21+; it fetches ${GO_TOOLCHAIN} itself): ` +
      'install it from https://go.dev/dl/ or put it on PATH.',
  );
}

/** Run a command to completion, each output line to `log`; resolves with stdout, rejects naming the command. */
export function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    const recent: string[] = [];
    const keep = (chunk: Buffer, stream: 'stdout' | 'stderr') => {
      const text = chunk.toString();
      if (stream === 'stdout') out.push(text);
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        recent.push(line);
        if (recent.length > 30) recent.shift();
        options.log?.(line);
      }
    };
    child.stdout.on('data', (d: Buffer) => keep(d, 'stdout'));
    child.stderr.on('data', (d: Buffer) => keep(d, 'stderr'));
    child.once('error', (err) => reject(new Error(`could not run ${command}: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve(out.join(''));
      else {
        const name = `${path.basename(command)} ${args.slice(0, 2).join(' ')}`;
        reject(new Error(`\`${name} …\` failed (${signal ?? `exit code ${code}`}):\n${recent.join('\n')}`));
      }
    });
  });
}

/** Go's module cache is read-only: copies out of it get ordinary modes, so they can be replaced later. */
function makeWritable(target: string): void {
  if (!statSync(target).isDirectory()) return chmodSync(target, 0o644);
  chmodSync(target, 0o755);
  for (const entry of readdirSync(target)) makeWritable(path.join(target, entry));
}

/** What {@link goInstall} builds. */
export interface GoInstallOptions {
  /** The cache folder; a finished build there is reused. */
  dir: string;
  /** For messages, e.g. `Temporal Server 1.32.2`. */
  what: string;
  module: string;
  version: string;
  /** Package path in the module → where its binary goes. */
  commands: Record<string, string>;
  /** Path in the module → where a copy goes (schemas, config). */
  copies?: Record<string, string>;
  log?: (line: string) => void;
}

/** Build `commands` of `module@version` with `go install` unless `dir` holds a finished build. */
export async function goInstall(options: GoInstallOptions): Promise<void> {
  const { dir, module, version } = options;
  const outputs = [...Object.values(options.commands), ...Object.values(options.copies ?? {})];
  if ([path.join(dir, COMPLETE), ...outputs].every((f) => existsSync(f))) return;
  const log = options.log ?? (() => undefined);
  const go = findGo(options.what);
  rmSync(path.join(dir, COMPLETE), { force: true });
  const gobin = path.join(dir, '.gobin');
  mkdirSync(gobin, { recursive: true });
  const env = { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, GOBIN: gobin };
  const at = `@v${version}`;
  log(`building ${options.what} with ${go} (the first build can take minutes)`);
  const packages = Object.keys(options.commands);
  await runCommand(go, ['install', ...packages.map((p) => `${module}/${p}${at}`)], { env, log });
  for (const [pkg, target] of Object.entries(options.commands))
    renameSync(path.join(gobin, path.basename(pkg)), target);
  const modCache = (await runCommand(go, ['env', 'GOMODCACHE'], { env })).trim();
  for (const [from, target] of Object.entries(options.copies ?? {})) {
    const source = path.join(modCache, `${module}${at}`, from);
    if (!existsSync(source)) throw new Error(`${from} is not in ${module}${at} (${source})`);
    rmSync(target, { recursive: true, force: true });
    cpSync(source, target, { recursive: true });
    makeWritable(target);
  }
  writeFileSync(path.join(dir, COMPLETE), `${new Date().toISOString()}\n`);
  log(`${options.what} built in ${dir}`);
}
