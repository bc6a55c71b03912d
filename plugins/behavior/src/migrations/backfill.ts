import type { Sequelize } from 'sequelize';

const DAY_MS = 86_400_000;

/** How a backfill walks its source: the tenants in `table`, and each tenant's days that hold rows. */
export interface TenantDaySource {
  /** The table whose tenants are walked (its key or an index starts with tenant_id). */
  table: string;
  /** SQL for the first UTC day with rows of tenant `$1` at or after day `$2` (`YYYY-MM-DD`), as one column `v`. */
  nextDay: string;
  /** Binds `$2` of `nextDay` for a day (a timestamp column needs an instant on PostgreSQL). */
  bindDay?: (day: string) => unknown;
}

/** The `YYYY-MM-DD` label of a value read back as a day: PostgreSQL returns instants as Date, SQLite stored text. */
function dayLabel(v: unknown): string {
  return v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10);
}

/** The day after `day` (`YYYY-MM-DD`). */
export function nextDayLabel(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

/**
 * Runs `fill(tenant, day)` once per tenant and UTC day holding rows in the source, in key order, each
 * its own statement (migrations run outside a transaction): a large install's backfill is many short
 * statements, each bounded by one tenant's day, not one statement over every row that holds its locks
 * and its sort for the whole upgrade. Tenants and days are found by index probes (the next tenant
 * after the last, the next day with rows), never a scan of the whole table.
 */
export async function forEachTenantDay(
  sequelize: Sequelize,
  source: TenantDaySource,
  fill: (tenant: string, day: string) => Promise<void>,
): Promise<void> {
  const one = async (sql: string, bind: unknown[]): Promise<unknown> => {
    const rows = (await sequelize.query(sql, { bind, type: 'SELECT', raw: true })) as { v: unknown }[];
    return rows[0]?.v ?? null;
  };
  let tenant = await one(`SELECT MIN(tenant_id) AS v FROM ${source.table}`, []);
  while (tenant !== null) {
    const t = String(tenant);
    let from = '0001-01-01';
    for (;;) {
      const next = await one(source.nextDay, [t, source.bindDay ? source.bindDay(from) : from]);
      if (next === null) break;
      const day = dayLabel(next);
      await fill(t, day);
      from = nextDayLabel(day);
    }
    tenant = await one(`SELECT MIN(tenant_id) AS v FROM ${source.table} WHERE tenant_id > $1`, [t]);
  }
}
