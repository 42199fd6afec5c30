/**
 * `npm run secrets -- reseal [--dry-run]`: after an encryption key rotation, seal every stored secret
 * under the current RULEFLOW_ENCRYPTION_KEY, so that the keys in RULEFLOW_PREVIOUS_ENCRYPTION_KEYS
 * are no longer needed for stored data. It walks, across all tenants:
 *
 *   rules.actions, rule_versions.rule, action_templates.default_config, executions.input
 *     (the secrets of webhook actions: the registry in @ruleflow/rules, mapActionSecrets)
 *   webhooks.secret, webhooks.previous_secret
 *
 * A value sealed under another key, or stored as plaintext before encryption existed, is opened and
 * sealed again; a value already under the current key is left as is; one that cannot be opened
 * (unknown key id) is reported and left alone (exit code 1). Only the secret strings are rewritten
 * (jsonb_set at their paths), one row per transaction, and only when the row did not change since it
 * was read: safe to run while the system is up, and safe to run again.
 *
 * The database is found as `npm run keys` finds it: DATABASE_URL, else the embedded PostgreSQL of a
 * running `npm start`.
 */
import { loadConfig, resolveEncryptionKeys } from '@ruleflow/config';
import type { SecretPath } from '@ruleflow/rules';
import { isPlainObject, mapActionSecrets } from '@ruleflow/rules';
import type { SecretBox } from '@ruleflow/rules/node/secret-box';
import {
  createSecretBox,
  isSealedSecret,
  isSealedWithCurrentKey,
  keyIdOf,
  resealSecret,
  SecretBoxError,
  sealedKeyId,
} from '@ruleflow/rules/node/secret-box';
import type { Client } from 'pg';
import { inSystemTransaction, runCli, UsageError, withDatabase } from './cli';

const BATCH_SIZE = 500;
/** How often a row that changed between read and update is read again before giving up on it. */
const MAX_ATTEMPTS = 3;
/** The gateway's rule cache listens here (apps/gateway/src/rules/rule-cache.ts, RULES_CHANGED_CHANNEL). */
const RULES_CHANGED_CHANNEL = 'ruleflow_rules_changed';

const USAGE = `Usage:
  npm run secrets -- reseal [--dry-run]

reseal seals every stored secret (rules, rule versions, action templates, execution snapshots,
webhook endpoints; all tenants) under the current RULEFLOW_ENCRYPTION_KEY. Run it after restarting
with a new key; values it cannot open (an unknown key id) are listed and left alone (exit code 1).
--dry-run changes nothing and prints what it would do.
Database: DATABASE_URL, else the embedded PostgreSQL of a running \`npm start\`.`;

export interface SecretsCommand {
  command: 'reseal';
  dryRun: boolean;
}

/** Parse the command line (after `--`); throws UsageError naming the problem. */
export function parseSecretsArgs(argv: readonly string[]): SecretsCommand {
  const [command, ...rest] = argv;
  if (!command) throw new UsageError('a command is needed: reseal');
  if (command !== 'reseal') throw new UsageError(`unknown command "${command}": use reseal`);
  let dryRun = false;
  for (const arg of rest) {
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const option = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (option !== 'dry-run') throw new UsageError(`unknown option --${option} for "reseal"`);
    if (eq !== -1) throw new UsageError('--dry-run takes no value');
    if (dryRun) throw new UsageError('--dry-run is given twice');
    dryRun = true;
  }
  return { command, dryRun };
}

// ---------------------------------------------------------------------------------------------
// Where the secrets are

/** A secret string inside a column: its path (jsonb; empty for a text column) and value. */
export interface SecretAt {
  path: string[];
  value: string;
}

export type Row = Record<string, string | null> & { id: string };

export interface ColumnSpec {
  name: string;
  kind: 'jsonb' | 'text';
  /** The secret strings of this column's value (parsed when jsonb). */
  secrets(value: unknown, row: Row): SecretAt[];
}

export interface TableSpec {
  table: string;
  /** Read and compared too (they decide which values are secrets, or are needed after the update). */
  extraColumns: string[];
  columns: ColumnSpec[];
  /** Extra statements in the row's transaction after a successful update. */
  afterUpdate?: (client: Client, row: Row) => Promise<void>;
}

/** The secrets of one action config: the paths mapActionSecrets visits, under `prefix`. */
function configSecrets(type: unknown, config: unknown, prefix: string[]): SecretAt[] {
  if (!isPlainObject(config)) return [];
  const found: SecretAt[] = [];
  mapActionSecrets(type, config, (value: string, path: SecretPath) => {
    found.push({ path: [...prefix, ...path], value });
    return value;
  });
  return found;
}

/** The secrets of an actions array (`[{ type, config }, …]`) found at `prefix`. */
function actionsSecrets(actions: unknown, prefix: string[]): SecretAt[] {
  if (!Array.isArray(actions)) return [];
  return actions.flatMap((action: unknown, i) =>
    isPlainObject(action) ? configSecrets(action.type, action.config, [...prefix, String(i), 'config']) : [],
  );
}

function textSecret(value: unknown): SecretAt[] {
  return typeof value === 'string' ? [{ path: [], value }] : [];
}

const at = (value: unknown, key: string): unknown => (isPlainObject(value) ? value[key] : undefined);

export const TABLES: readonly TableSpec[] = [
  {
    table: 'rules',
    extraColumns: ['tenant_id'],
    columns: [{ name: 'actions', kind: 'jsonb', secrets: (actions) => actionsSecrets(actions, []) }],
    // The gateways' rule caches reload the tenant's rules (their runs then snapshot the new values).
    afterUpdate: async (client, row) => {
      await client.query('SELECT pg_notify($1, $2)', [RULES_CHANGED_CHANNEL, row.tenant_id]);
    },
  },
  {
    table: 'action_templates',
    extraColumns: ['action_type'],
    columns: [
      {
        name: 'default_config',
        kind: 'jsonb',
        secrets: (config, row) => configSecrets(row.action_type, config, []),
      },
    ],
  },
  {
    table: 'rule_versions',
    extraColumns: [],
    columns: [{ name: 'rule', kind: 'jsonb', secrets: (rule) => actionsSecrets(at(rule, 'actions'), ['actions']) }],
  },
  {
    table: 'webhooks',
    extraColumns: [],
    columns: [
      { name: 'secret', kind: 'text', secrets: textSecret },
      { name: 'previous_secret', kind: 'text', secrets: textSecret },
    ],
  },
  // Last: runs created from rules cached before the rules were resealed are picked up here.
  {
    table: 'executions',
    extraColumns: [],
    columns: [
      {
        name: 'input',
        kind: 'jsonb',
        secrets: (input) => actionsSecrets(at(at(input, 'rule'), 'actions'), ['rule', 'actions']),
      },
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// Re-sealing

export interface Counts {
  resealed: number;
  plaintext: number;
  current: number;
  unopenable: number;
}

export interface Unopenable {
  column: string;
  rowId: string;
  /** The key id of the value, or why there is none. Never the value. */
  keyId: string;
  path: string;
  reason: string;
}

interface Report {
  counts: Map<string, Counts>;
  unopenable: Unopenable[];
  /** Rows that kept changing between read and update (left for a later run). */
  busy: Array<{ table: string; rowId: string }>;
  rowsUpdated: number;
}

export interface RowPlan {
  /** Per column: the new value (text columns) or the jsonb edits; only columns that change. */
  changes: Array<{ column: ColumnSpec; edits: SecretAt[] }>;
  counts: Map<string, Counts>;
  unopenable: Unopenable[];
}

const zero = (): Counts => ({ resealed: 0, plaintext: 0, current: 0, unopenable: 0 });

function describePath(column: string, path: string[]): string {
  return path.reduce((p, key) => (/^\d+$/.test(key) ? `${p}[${key}]` : `${p}.${key}`), column);
}

/** What re-sealing this row would change, and the counts of its values. */
export function planRow(spec: TableSpec, row: Row, box: SecretBox, knownKeyIds: ReadonlySet<string>): RowPlan {
  const plan: RowPlan = { changes: [], counts: new Map(), unopenable: [] };
  for (const column of spec.columns) {
    const label = `${spec.table}.${column.name}`;
    const counts = zero();
    plan.counts.set(label, counts);
    const raw = row[column.name] ?? null;
    if (raw === null) continue;
    const value: unknown = column.kind === 'jsonb' ? JSON.parse(raw) : raw;
    const edits: SecretAt[] = [];
    for (const secret of column.secrets(value, row)) {
      if (isSealedWithCurrentKey(box, secret.value)) {
        counts.current++;
        continue;
      }
      try {
        edits.push({ path: secret.path, value: resealSecret(box, secret.value) });
        counts.resealed++;
        if (!isSealedSecret(secret.value)) counts.plaintext++;
      } catch (err) {
        if (!(err instanceof SecretBoxError)) throw err;
        counts.unopenable++;
        const keyId = sealedKeyId(secret.value);
        plan.unopenable.push({
          column: label,
          rowId: row.id,
          keyId: keyId ?? '(none: malformed)',
          path: describePath(column.name, secret.path),
          reason:
            keyId === undefined
              ? 'not a well-formed enc:v1 value'
              : knownKeyIds.has(keyId)
                ? 'altered or truncated'
                : 'unknown key',
        });
      }
    }
    if (edits.length) plan.changes.push({ column, edits });
  }
  return plan;
}

function selectList(spec: TableSpec): string {
  const cols = [...spec.extraColumns, ...spec.columns.map((c) => c.name)];
  return ['id::text AS id', ...cols.map((c) => `${c}::text AS ${c}`)].join(', ');
}

/**
 * Apply a row's plan in its own transaction, only if every column read is still as it was (compared
 * as text: jsonb's text form is canonical). Returns false when the row changed (or went) meanwhile.
 */
export async function applyPlan(client: Client, spec: TableSpec, row: Row, plan: RowPlan): Promise<boolean> {
  const params: unknown[] = [row.id];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const sets = plan.changes.map(({ column, edits }) => {
    if (column.kind === 'text') return `${column.name} = ${param(edits[0]!.value)}::text`;
    // Only the secret strings are rewritten: everything else stays byte for byte as stored.
    const expr = edits.reduce(
      (e, edit) => `jsonb_set(${e}, ${param(edit.path)}::text[], to_jsonb(${param(edit.value)}::text), false)`,
      column.name,
    );
    return `${column.name} = ${expr}`;
  });
  const compared = [...spec.extraColumns, ...spec.columns.map((c) => c.name)].map(
    (c) => `${c}::text IS NOT DISTINCT FROM ${param(row[c] ?? null)}::text`,
  );
  return inSystemTransaction(client, async () => {
    const res = await client.query(
      `UPDATE ${spec.table} SET ${sets.join(', ')} WHERE id = $1::uuid AND ${compared.join(' AND ')}`,
      params,
    );
    if (res.rowCount !== 1) return false;
    await spec.afterUpdate?.(client, row);
    return true;
  });
}

/** One row as resealTable reads it; undefined when it is gone. */
export async function rowById(client: Client, spec: TableSpec, id: string): Promise<Row | undefined> {
  return inSystemTransaction(client, async () => {
    const res = await client.query<Row>(`SELECT ${selectList(spec)} FROM ${spec.table} WHERE id = $1::uuid`, [id]);
    return res.rows[0];
  });
}

async function resealTable(
  client: Client,
  spec: TableSpec,
  box: SecretBox,
  knownKeyIds: ReadonlySet<string>,
  dryRun: boolean,
  report: Report,
): Promise<void> {
  for (const column of spec.columns) report.counts.set(`${spec.table}.${column.name}`, zero());
  const add = (plan: RowPlan) => {
    for (const [label, c] of plan.counts) {
      const total = report.counts.get(label)!;
      total.resealed += c.resealed;
      total.plaintext += c.plaintext;
      total.current += c.current;
      total.unopenable += c.unopenable;
    }
    report.unopenable.push(...plan.unopenable);
  };
  const select = selectList(spec);
  let after: string | undefined;
  for (;;) {
    const rows = await inSystemTransaction(client, async () => {
      const res = await client.query<Row>(
        after === undefined
          ? `SELECT ${select} FROM ${spec.table} ORDER BY id LIMIT ${BATCH_SIZE}`
          : `SELECT ${select} FROM ${spec.table} WHERE id > $1::uuid ORDER BY id LIMIT ${BATCH_SIZE}`,
        after === undefined ? [] : [after],
      );
      return res.rows;
    });
    if (!rows.length) return;
    after = rows[rows.length - 1]!.id;
    for (const first of rows) {
      let row: Row | undefined = first;
      for (let attempt = 1; row; attempt++) {
        const plan = planRow(spec, row, box, knownKeyIds);
        if (dryRun || !plan.changes.length) {
          add(plan);
          break;
        }
        if (await applyPlan(client, spec, row, plan)) {
          add(plan);
          report.rowsUpdated++;
          break;
        }
        if (attempt === MAX_ATTEMPTS) {
          report.busy.push({ table: spec.table, rowId: row.id });
          break;
        }
        // It changed (or was deleted) since it was read: read it again and redo the plan.
        row = await rowById(client, spec, row.id);
      }
    }
    if (rows.length < BATCH_SIZE) return;
  }
}

function printReport(report: Report, box: SecretBox, dryRun: boolean): void {
  const out: string[] = [];
  const labelWidth = Math.max(...[...report.counts.keys()].map((l) => l.length)) + 2;
  const verb = dryRun ? 'to reseal' : 'resealed';
  for (const [label, c] of report.counts) {
    const plain = c.plaintext ? ` (${c.plaintext} plaintext)` : '';
    out.push(
      `  ${label.padEnd(labelWidth)}${c.resealed} ${verb}${plain}, ${c.current} already current, ${c.unopenable} cannot be opened`,
    );
  }
  out.push('');
  if (report.unopenable.length) {
    out.push(
      `${report.unopenable.length} value(s) cannot be opened with RULEFLOW_ENCRYPTION_KEY or RULEFLOW_PREVIOUS_ENCRYPTION_KEYS; left as they are:`,
    );
    for (const u of report.unopenable) {
      out.push(`  ${u.column}  row ${u.rowId}  key ${u.keyId}  at ${u.path}  (${u.reason})`);
    }
    out.push(
      'Add the key they were sealed with to RULEFLOW_PREVIOUS_ENCRYPTION_KEYS and run this again, or replace these secrets.',
      '',
    );
  }
  if (report.busy.length) {
    out.push(`${report.busy.length} row(s) kept changing while being resealed; run this again:`);
    for (const b of report.busy) out.push(`  ${b.table}  row ${b.rowId}`);
    out.push('');
  }
  if (dryRun) {
    out.push('Dry run: nothing was changed.');
  } else {
    out.push(
      `${report.rowsUpdated} row(s) updated; every value that could be opened is now sealed under key ${box.keyId}.`,
    );
  }
  out.push(
    'Temporal histories of runs already in flight keep the values they were started with: keep the previous',
    'keys in RULEFLOW_PREVIOUS_ENCRYPTION_KEYS until the runs started before the rotation have finished. Running',
    'this again is safe; it also picks up rows written with an old value while it ran.',
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  let cmd: SecretsCommand;
  try {
    cmd = parseSecretsArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`secrets: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const keys = resolveEncryptionKeys(config);
  const box = createSecretBox(keys);
  const knownKeyIds = new Set([keys.current, ...keys.previous].map(keyIdOf));
  return withDatabase(config, 'ruleflow-secrets', async (client, source) => {
    const previous = keys.previous.map(keyIdOf).filter((id) => id !== box.keyId);
    process.stdout.write(
      `${cmd.dryRun ? 'Dry run: would re-seal' : 'Re-sealing'} secrets under key ${box.keyId} (${keys.source}); ` +
        `previous keys: ${previous.length ? previous.join(', ') : 'none'}. Database: ${source}.\n`,
    );
    const report: Report = { counts: new Map(), unopenable: [], busy: [], rowsUpdated: 0 };
    for (const spec of TABLES) await resealTable(client, spec, box, knownKeyIds, cmd.dryRun, report);
    printReport(report, box, cmd.dryRun);
    if (report.unopenable.length || report.busy.length) {
      process.stderr.write(
        `secrets: ${report.unopenable.length} value(s) could not be opened` +
          (report.busy.length ? ` and ${report.busy.length} row(s) kept changing` : '') +
          ' (listed above); the previous keys are still needed for them.\n',
      );
      return 1;
    }
    return 0;
  });
}

if (require.main === module) runCli('secrets', main, [SecretBoxError]);
