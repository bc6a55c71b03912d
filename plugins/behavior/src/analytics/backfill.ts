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

/** The day `n` days after `day` (`YYYY-MM-DD`). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Statements aim at about this long: short enough to hold no lock for long, long enough to keep the round trips few. */
export const TARGET_MS = 200;
/** The widest window of days one statement covers. */
export const MAX_DAYS = 64;

/**
 * The next statement's window (days) after one of `days` days took `tookMs`: doubled while well
 * under the target, halved when well over it, within 1 and MAX_DAYS.
 */
export function nextWindow(days: number, tookMs: number, targetMs = TARGET_MS): number {
  if (tookMs < targetMs / 2) return Math.min(MAX_DAYS, days * 2);
  if (tookMs > targetMs * 2) return Math.max(1, Math.floor(days / 2));
  return days;
}

/**
 * Runs `fill(tenant, from, to)` over every tenant's rows in the source, a window of whole UTC days
 * `[from, to)` per call, in key order, each its own statement (migrations run outside a
 * transaction): a large install's backfill is many short statements, not one over every row that
 * holds its locks and its sort for the whole upgrade. A tenant starts at one day per statement; the
 * window follows how long statements take (nextWindow), so a small install needs few round trips
 * and a large tenant's day stays one bounded statement. Tenants and days are found by index probes
 * (the next tenant after the last, the next day with rows: empty spans cost nothing), never a scan.
 */
export async function forEachTenantDays(
  sequelize: Sequelize,
  source: TenantDaySource,
  fill: (tenant: string, from: string, to: string) => Promise<void>,
): Promise<void> {
  const one = async (sql: string, bind: unknown[]): Promise<unknown> => {
    const rows = (await sequelize.query(sql, { bind, type: 'SELECT', raw: true })) as { v: unknown }[];
    return rows[0]?.v ?? null;
  };
  let tenant = await one(`SELECT MIN(tenant_id) AS v FROM ${source.table}`, []);
  while (tenant !== null) {
    const t = String(tenant);
    let from = '0001-01-01';
    let days = 1;
    for (;;) {
      const next = await one(source.nextDay, [t, source.bindDay ? source.bindDay(from) : from]);
      if (next === null) break;
      const day = dayLabel(next);
      const to = addDays(day, days);
      const began = performance.now();
      await fill(t, day, to);
      days = nextWindow(days, performance.now() - began);
      from = to;
    }
    tenant = await one(`SELECT MIN(tenant_id) AS v FROM ${source.table} WHERE tenant_id > $1`, [t]);
  }
}
