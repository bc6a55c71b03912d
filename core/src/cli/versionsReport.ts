import type { Command } from 'commander';
import { resolveDatabaseUrl } from '../config/loadConfig';
import { prepare } from '../kernel/prepare';
import type { Database } from '../services/database/Database';
import { createSql, num } from '../services/database/sql';
import { createDatabase } from '../services/storage';
import { API_VERSIONS } from '../versioning/catalog';

/** One tenant's (or key's) calls at an older API version. */
export interface OldVersionCaller {
  tenantId: string | null;
  keyId: string | null;
  apiVersion: string;
  calls: number;
  /** ISO-8601 time of the latest call at that version. */
  lastUsed: string;
}

/**
 * Who still calls an API version older than the current one, from the usage records' `api_version`
 * (the usage plugin's table): per tenant, key and version, the number of calls since `sinceIso`
 * and the last one, busiest first.
 */
export async function oldVersionCallers(
  database: Database,
  sinceIso: string,
  current = API_VERSIONS[API_VERSIONS.length - 1],
): Promise<OldVersionCaller[]> {
  const sql = createSql(database);
  const table = database.tableName('usage', 'records');
  const rows = await sql.rows<Record<string, unknown>>(
    `SELECT tenant_id, key_id, api_version, COUNT(*) AS calls, MAX(created_at) AS last_used FROM ${table}
      WHERE api_version IS NOT NULL AND api_version <> $1 AND created_at >= $2
      GROUP BY tenant_id, key_id, api_version ORDER BY COUNT(*) DESC, tenant_id, key_id, api_version`,
    [current, sinceIso],
  );
  return rows.map((r) => ({
    tenantId: (r.tenant_id as string | null) ?? null,
    keyId: (r.key_id as string | null) ?? null,
    apiVersion: r.api_version as string,
    calls: num(r.calls),
    lastUsed: r.last_used instanceof Date ? r.last_used.toISOString() : String(r.last_used),
  }));
}

/** The report as a table (one line per tenant, key and version). */
export function renderReport(rows: OldVersionCaller[], current: string, days: number): string {
  if (rows.length === 0) return `No calls at a version older than ${current} in the last ${days} days.\n`;
  const head = ['TENANT', 'KEY', 'VERSION', 'CALLS', 'LAST USED'];
  const body = rows.map((r) => [r.tenantId ?? '-', r.keyId ?? '-', r.apiVersion, String(r.calls), r.lastUsed]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return `Calls at versions older than ${current} in the last ${days} days:\n${[line(head), ...body.map(line)].join('\n')}\n`;
}

/** `aihub versions report`: tenants and keys still calling older API versions, with counts and last use. */
export function registerVersionsCommands(
  program: Command,
  fail: (err: unknown) => never,
  usage: (message: string) => never,
): void {
  program
    .command('versions')
    .description('API versions (AIHub-Version)')
    .command('report')
    .description('tenants and keys still calling an older API version: calls and last use, from the usage records')
    .option('-c, --config <file>', 'config file')
    .option('--days <n>', 'how far back to look', (v) => Number(v), 30)
    .option('--json', 'machine-readable output')
    .action(async (opts: { config?: string; days: number; json?: boolean }) => {
      if (!Number.isInteger(opts.days) || opts.days < 1) usage('--days takes a whole number of days, 1 or more');
      try {
        const prepared = await prepare({ file: opts.config });
        const db = await createDatabase({ url: resolveDatabaseUrl(prepared.config) });
        try {
          const current = API_VERSIONS[API_VERSIONS.length - 1];
          const since = new Date(Date.now() - opts.days * 86_400_000).toISOString();
          const rows = await oldVersionCallers(db, since, current);
          process.stdout.write(
            opts.json
              ? `${JSON.stringify({ current, days: opts.days, callers: rows }, null, 2)}\n`
              : renderReport(rows, current, opts.days),
          );
        } finally {
          await db.close();
        }
      } catch (err) {
        fail(err);
      }
    });
}
