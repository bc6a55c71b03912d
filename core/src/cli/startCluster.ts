import type { CoreConfig } from '../config/coreSchema';
import { resolveDatabaseUrl } from '../config/loadConfig';
import { ProblemCode, type Problem } from '../config/problems';
import { migrateOnBoot } from '../kernel/migrateOnBoot';
import { checkDatabase, openDatabase } from '../kernel/openServices';
import type { Prepared } from '../kernel/prepare';
import type { Logger } from '../services/createLogger';

/**
 * Workers are separate processes: what one process kept in memory or in its own file must be shared
 * for N of them to act as one gateway. Refused rather than half-working:
 * - SQLite (the embedded default) is one file with one writer at a time: N workers writing usage,
 *   audit and keys contend for its lock (SQLITE_BUSY under load);
 * - the in-memory store would give each worker its own rate-limit counters, budgets and cache, so
 *   limits would let N times the traffic through.
 */
export function sharedServicesProblems(cfg: CoreConfig, workers: number): Problem[] {
  const problems: Problem[] = [];
  if (resolveDatabaseUrl(cfg).startsWith('sqlite:')) {
    problems.push({
      code: ProblemCode.CONFIG_INVALID,
      path: 'server.workers',
      message: `${workers} workers need PostgreSQL (database.url: postgres://…): SQLite, the embedded default, takes one writer at a time, so workers would contend for it; use --workers 1 with SQLite`,
    });
  }
  if (!cfg.redis.url) {
    problems.push({
      code: ProblemCode.CONFIG_INVALID,
      path: 'server.workers',
      message: `${workers} workers need Redis (redis.url): with the in-memory store each worker would keep its own rate limits, budgets and cache, letting ${workers}× the traffic through; use --workers 1 without Redis`,
    });
  }
  return problems;
}

/** The primary's one migration step (apply with `database.migrate: auto`, else check), before forking. */
export async function migrateOnce(prepared: Prepared, logger: Logger): Promise<void> {
  const database = await openDatabase(prepared.config, logger);
  try {
    await checkDatabase(database, prepared.config);
    await migrateOnBoot(database, prepared, logger);
  } finally {
    await database.close();
  }
}
