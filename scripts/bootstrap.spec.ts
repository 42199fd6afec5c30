import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
}

describe('package-lock.json', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };

  // `npm ci` refuses a lockfile that lacks another platform's optional binary (one written behind a
  // registry that served only this platform's builds); it must list them all.
  it("lists every platform's optional packages, so npm ci accepts it anywhere", () => {
    const missing: string[] = [];
    for (const [location, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        // npm resolves from the nearest node_modules upwards, as Node does.
        const candidates: string[] = [];
        let base = location;
        for (;;) {
          candidates.push(`${base ? `${base}/` : ''}node_modules/${name}`);
          const cut = base.lastIndexOf('/node_modules/');
          if (cut < 0) {
            if (base === '') break;
            base = '';
          } else base = base.slice(0, cut);
        }
        if (!candidates.some((c) => lock.packages[c])) missing.push(`${name} (wanted by ${location || 'the root'})`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('bootstrap install', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ruleflow-bootstrap-'));
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(ROOT, 'scripts', 'bootstrap.js'), join(dir, 'scripts', 'bootstrap.js'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stops on a lockfile that does not match package.json with one line saying how to fix it, and rewrites nothing', () => {
    const lockfile = JSON.stringify(
      {
        name: 'x',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: { '': { name: 'x', version: '1.0.0' } },
      },
      null,
      2,
    );
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'x', version: '1.0.0', dependencies: { 'is-number': '7.0.0' } }),
    );
    writeFileSync(join(dir, 'package-lock.json'), lockfile);

    const env = { ...process.env };
    delete env.npm_execpath; // the npm on PATH, as a user's shell has it
    const result = spawnSync(process.execPath, ['scripts/bootstrap.js', 'install'], {
      cwd: dir,
      encoding: 'utf8',
      env,
    });

    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/package-lock\.json does not match package\.json: run `npm install`, then commit/);
    expect(result.stderr).toContain('Missing: is-number@7.0.0 from lock file');
    expect(result.stderr).not.toMatch(/npm error/); // npm's page of usage text is not passed on
    expect(readFileSync(join(dir, 'package-lock.json'), 'utf8')).toBe(lockfile);
  });
});
