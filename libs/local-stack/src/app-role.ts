/**
 * The PostgreSQL role the application connects as on the embedded server (and in tests).
 *
 * It owns the application's database, so it runs the migrations, but it is neither a superuser nor
 * BYPASSRLS: the row-level security policies apply to it (the tables FORCE them on their owner).
 */
import { Client } from 'pg';

export const APP_DB_ROLE = 'ruleflow';
/** A development default, like the embedded superuser's password. */
export const APP_DB_PASSWORD = 'ruleflow';

const DUPLICATE_OBJECT = '42710';
const UNIQUE_VIOLATION = '23505';

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, application_name: 'ruleflow-setup' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `url` with the application role's credentials and database `database`. */
export function appRoleUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.username = APP_DB_ROLE;
  url.password = APP_DB_PASSWORD;
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Create the application role unless it exists (safe when several processes race). */
export async function ensureAppRole(adminUrl: string): Promise<void> {
  await withClient(adminUrl, async (admin) => {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_DB_ROLE]);
    if (rowCount) return;
    try {
      await admin.query(
        `CREATE ROLE ${admin.escapeIdentifier(APP_DB_ROLE)} LOGIN PASSWORD ${admin.escapeLiteral(APP_DB_PASSWORD)}
           NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE`,
      );
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== DUPLICATE_OBJECT && code !== UNIQUE_VIOLATION) throw err;
    }
  });
}

/**
 * Make sure database `name` exists and the application role owns it and every object in its public
 * schema. Databases made before the role existed (owned by the superuser) are handed over.
 */
export async function ensureAppDatabase(adminUrl: string, name: string): Promise<string> {
  await ensureAppRole(adminUrl);
  const role = APP_DB_ROLE;
  await withClient(adminUrl, async (admin) => {
    const { rows } = await admin.query<{ owner: string }>(
      'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
      [name],
    );
    const db = admin.escapeIdentifier(name);
    if (!rows[0]) await admin.query(`CREATE DATABASE ${db} OWNER ${admin.escapeIdentifier(role)}`);
    else if (rows[0].owner !== role) await admin.query(`ALTER DATABASE ${db} OWNER TO ${admin.escapeIdentifier(role)}`);
  });
  const dbAdminUrl = new URL(adminUrl);
  dbAdminUrl.pathname = `/${encodeURIComponent(name)}`;
  await withClient(dbAdminUrl.toString(), (admin) =>
    admin.query(`
      DO $$
      DECLARE r record;
      BEGIN
        FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
                   AND pg_get_userbyid(c.relowner) <> '${role}' LOOP
          EXECUTE format('ALTER %s public.%I OWNER TO ${role}',
            CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, r.relname);
        END LOOP;
        -- Sequences of serial columns moved with their tables; these are the free-standing ones.
        FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> '${role}' LOOP
          EXECUTE format('ALTER SEQUENCE public.%I OWNER TO ${role}', r.relname);
        END LOOP;
        FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '${role}' LOOP
          EXECUTE format('ALTER FUNCTION %s OWNER TO ${role}', r.sig);
        END LOOP;
      END $$`),
  );
  return appRoleUrl(adminUrl, name);
}
