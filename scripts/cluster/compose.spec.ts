/**
 * docker-compose.temporal.yml against what `npm run cluster` runs and the apps read: the same server
 * version and config template, the same schema steps, every variable the apps need and none they do not.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { CONFIG_VARIABLES, loadConfig, resolveEncryptionKeys } from '@ruleflow/config';
import type { TemporalServerOptions } from '@ruleflow/local-stack';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION, temporalServerEnv } from '@ruleflow/local-stack';
import { temporalSchemaScript, temporalServerConfigFiles } from './config-files';

const ROOT = path.resolve(__dirname, '../..');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | boolean>;
  configs?: Array<{ source: string; target: string }>;
}
interface Compose {
  services: Record<string, Service>;
  configs: Record<string, { file?: string; content?: string }>;
}

const compose = load(readFileSync(path.join(ROOT, 'docker-compose.temporal.yml'), 'utf8')) as Compose;
const template = readFileSync(temporalServerConfigFiles(ROOT).configFile, 'utf8');

/** What Compose makes of `${VAR:-default}` with nothing set in the shell (`$$` is a literal `$`). */
function interpolate(value: string | number | boolean): string {
  return String(value)
    .replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1')
    .replace(/\$\{[A-Z0-9_]+\}/g, '')
    .replace(/\$\$/g, '$');
}

const envOf = (service: Service): Record<string, string> =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));

/** The Ruleflow services: those built from this repository's Dockerfile. */
const appServices = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

/** Variables the template reads, split by whether it has a default for them. */
const templateVars = {
  all: new Set([...template.matchAll(/env "([A-Z0-9_]+)"/g)].map((m) => m[1]!)),
  required: new Set([...template.matchAll(/\{\{ env "([A-Z0-9_]+)" \}\}/g)].map((m) => m[1]!)),
};
/** Read by the server binary itself rather than by the template. */
const SERVER_OWN_VARIABLES = ['TEMPORAL_SERVER_CONFIG_FILE_PATH', 'TEMPORAL_ALLOW_NO_AUTH'];

describe('docker-compose.temporal.yml', () => {
  it('runs the pinned Temporal Server version, in the server and in the schema tool', () => {
    const images = Object.values(compose.services)
      .map((s) => s.image ?? '')
      .filter((image) => /^temporalio\/(server|admin-tools):/.test(image));
    expect(images.sort()).toEqual([
      `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`,
      `temporalio/server:${TEMPORAL_SERVER_VERSION}`,
    ]);
  });

  it('runs the Web UI version npm run cluster serves', () => {
    expect(compose.services['temporal-ui']!.image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
  });

  it("mounts npm run cluster's config template and dynamic config into the server", () => {
    const files = temporalServerConfigFiles(ROOT);
    const server = compose.services.temporal!;
    const env = envOf(server);
    const mounted = Object.fromEntries(
      (server.configs ?? []).map((c) => [c.target, path.resolve(ROOT, compose.configs[c.source]!.file ?? '')]),
    );
    expect(mounted[env.TEMPORAL_SERVER_CONFIG_FILE_PATH!]).toBe(files.configFile);
    expect(mounted[env.DYNAMIC_CONFIG_FILE_PATH!]).toBe(files.dynamicConfigFile);
    expect(template.split('\n')[0]).toBe('# enable-template');
  });

  it('sets every variable the template needs, and no variable neither the template nor the server reads', () => {
    const env = envOf(compose.services.temporal!);
    for (const name of templateVars.required) expect(Object.keys(env)).toContain(name);
    for (const name of Object.keys(env)) expect([...templateVars.all, ...SERVER_OWN_VARIABLES]).toContain(name);
  });

  it('drives the template with the same variables as npm run cluster', () => {
    const options = {
      databases: { url: 'postgres://temporal:secret@127.0.0.1:5432/postgres' },
      configFile: '/c.yaml',
      dynamicConfigFile: '/d.yaml',
      ports: { metrics: 1 },
    } as unknown as TemporalServerOptions;
    const cluster = Object.keys(temporalServerEnv(options)).filter((k) => !['PATH', 'HOME'].includes(k));
    for (const name of cluster) expect([...templateVars.all, ...SERVER_OWN_VARIABLES]).toContain(name);
    for (const name of templateVars.required) expect(cluster).toContain(name);
    // The compose server runs what the cluster runs, apart from where it listens.
    const own = new Set(Object.keys(envOf(compose.services.temporal!)));
    const onlyLocal = cluster.filter((k) => !own.has(k));
    expect(onlyLocal.every((k) => /_(PORT|ADDRESS)$/.test(k))).toBe(true);
  });

  it('sets up and upgrades both schemas with the script npm run cluster runs, in the databases the server uses', () => {
    const schema = compose.services['temporal-schema']!;
    const [mount] = schema.configs!;
    expect(path.resolve(ROOT, compose.configs[mount!.source]!.file ?? '')).toBe(temporalSchemaScript(ROOT));
    expect(schema.entrypoint).toEqual(['/bin/sh', mount!.target]);
    const script = readFileSync(temporalSchemaScript(ROOT), 'utf8');
    expect(script).toMatch(/setup-schema -v 0\.0/);
    expect(script).toMatch(/update-schema -d "\$dir"/);
    // Every variable the script reads without a default is set, and the databases are the server's.
    const env = envOf(schema);
    const needed = [...script.matchAll(/\$\{?([A-Z_]+)\}?/g)].map((m) => m[1]!);
    const defaulted = [...script.matchAll(/\$\{([A-Z_]+):-/g)].map((m) => m[1]!);
    for (const name of needed.filter((n) => !defaulted.includes(n))) expect(Object.keys(env)).toContain(name);
    const server = envOf(compose.services.temporal!);
    expect([env.DBNAME, env.VISIBILITY_DBNAME]).toEqual([server.DBNAME, server.VISIBILITY_DBNAME]);
    expect([env.SQL_HOST, env.SQL_PORT, env.SQL_USER]).toEqual([
      server.POSTGRES_SEEDS,
      server.DB_PORT,
      server.POSTGRES_USER,
    ]);
    expect(env.SQL_PASSWORD).toBe(server.POSTGRES_PWD);
    expect(schema.image).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
  });

  it('registers the namespace and search attributes with the script npm run cluster shares (the contract list)', () => {
    const setup = compose.services['temporal-setup']!;
    expect(setup.build).toBeDefined();
    expect(setup.command).toContain('dist/scripts/cluster/temporal-setup.js');
    expect(existsSync(path.join(ROOT, 'scripts/cluster/temporal-setup.ts'))).toBe(true);
  });

  it.each(appServices.map(([name]) => name))('%s: reads only variables the apps read, and starts on them', (name) => {
    const service = compose.services[name]!;
    const env = envOf(service);
    const unread = Object.keys(env).filter((k) => !CONFIG_VARIABLES.includes(k));
    expect(unread).toEqual([]);
    // Production with a real PostgreSQL and Temporal: these are what the apps cannot start without.
    expect(env).toMatchObject({ NODE_ENV: 'production' });
    for (const needed of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'RULEFLOW_ENCRYPTION_KEY']) {
      expect(Object.keys(env)).toContain(needed);
    }
    // Valid as soon as the operator supplies the encryption key (the compose file cannot have one).
    const config = loadConfig({ ...env, RULEFLOW_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') });
    expect(() => resolveEncryptionKeys(config)).not.toThrow();
    expect(config.database.url).toMatch(/@postgresql:5432\/ruleflow$/);
    expect(config.temporal.address).toBe('temporal:7233');
    const entry = (service.command ?? []).find((arg) => arg.startsWith('dist/'));
    expect(entry).toBeDefined();
    expect(existsSync(path.join(ROOT, entry!.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
  });

  it('has the Ruleflow services: migrations, worker, gateway and the Temporal setup', () => {
    expect(appServices.map(([name]) => name).sort()).toEqual(['gateway', 'migrate', 'temporal-setup', 'worker']);
  });
});
