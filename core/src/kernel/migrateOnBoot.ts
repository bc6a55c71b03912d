import { ProblemCode, StartupError } from '../config/problems';
import type { Logger } from '../services/createLogger';
import type { Database, MigrationSet } from '../services/database/Database';
import { coreQueueMigrations } from '../services/storage';
import { pluginTablePrefix } from './createPluginContext';
import type { Prepared } from './prepare';

/** Migration sets of core and every configured plugin, in start order. */
export function migrationSets(prepared: Prepared): MigrationSet[] {
  const sets: MigrationSet[] = [coreQueueMigrations];
  for (const p of prepared.plugins) {
    if (p.definition.migrations?.length) {
      sets.push({
        owner: p.definition.name,
        tablePrefix: pluginTablePrefix(p.definition.name),
        migrations: p.definition.migrations,
      });
    }
  }
  return sets;
}

/**
 * Boot step "migrate": with `database.migrate: auto`, applies what is pending; with `manual`, fails
 * startup listing it. Runs before any plugin starts, because `start` reads and writes the tables.
 */
export async function migrateOnBoot(database: Database, prepared: Prepared, logger: Logger): Promise<void> {
  if (prepared.config.database.migrate === 'auto') {
    const applied = await database.migrateUp(migrationSets(prepared));
    if (applied.length) logger.info('applied migrations', { migrations: applied });
    return;
  }
  // Without this check the first plugin to touch a missing table fails with "relation … does not
  // exist", which reads like a bug rather than a step the operator has not run yet.
  const pending = (await database.migrationStatus(migrationSets(prepared))).filter((m) => !m.applied);
  if (pending.length)
    throw new StartupError([
      pendingMigrationsProblem(
        pending.map((m) => `${m.owner}:${m.name}`),
        prepared.file,
      ),
    ]);
}

/** The problem of a start with `database.migrate: manual` and migrations not yet applied. */
export function pendingMigrationsProblem(
  pending: string[],
  file?: string,
): { code: typeof ProblemCode.MIGRATIONS_PENDING; path: string; message: string } {
  const shown =
    pending.length > 5 ? `${pending.slice(0, 5).join(', ')}, … (${pending.length - 5} more)` : pending.join(', ');
  const config = file ? ` --config ${file}` : '';
  return {
    code: ProblemCode.MIGRATIONS_PENDING,
    path: 'database.migrate',
    message: `${pending.length} database migration${pending.length === 1 ? ' is' : 's are'} pending (${shown}); run \`npx aihub migrate up${config}\` (from a checkout: npm run aihub -- migrate up${config}), or set database.migrate: auto`,
  };
}
