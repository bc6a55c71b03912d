import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';
import type { Umzug } from 'umzug';
import type { Dialect, Migration, MigrationContext, MigrationSet, MigrationStatus } from './Database';

/** One migration of one owner, with the name it is recorded under: `<owner>:<name>`. */
export interface PlannedMigration {
  id: string;
  set: MigrationSet;
  migration: Migration;
}

/** Table that records applied migrations of every owner. */
export const MIGRATIONS_TABLE = 'aihub_migrations';

interface MigrationRow extends Model {
  id: number;
  name: string;
}

/**
 * Flattens sets into the order they run: sets in the given order (core first, then plugins in
 * dependency order), each set's migrations sorted by name. Rejects ambiguous input up front.
 */
export function planMigrations(sets: MigrationSet[]): PlannedMigration[] {
  const owners = new Set<string>();
  const plan: PlannedMigration[] = [];
  for (const set of sets) {
    if (!set.owner || set.owner.includes(':'))
      throw new Error(`Invalid migration owner "${set.owner}": it must be non-empty and contain no ":"`);
    if (owners.has(set.owner))
      throw new Error(`Migrations of "${set.owner}" were given twice; pass one MigrationSet per owner`);
    owners.add(set.owner);
    const names = new Set<string>();
    for (const migration of [...set.migrations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (!migration.name) throw new Error(`A migration of "${set.owner}" has no name`);
      if (names.has(migration.name))
        throw new Error(`Migration "${migration.name}" of "${set.owner}" is defined twice`);
      names.add(migration.name);
      plan.push({ id: `${set.owner}:${migration.name}`, set, migration });
    }
  }
  return plan;
}

/**
 * The model behind umzug's SequelizeStorage. Besides the name it keeps an auto-increment id, so
 * "newest first" for `migrateDown` means most recently applied, whatever order the owners are listed in.
 */
export function migrationModel(sequelize: Sequelize): ModelStatic<MigrationRow> {
  const modelName = 'AihubMigration';
  if (sequelize.isDefined(modelName)) return sequelize.model(modelName) as ModelStatic<MigrationRow>;
  return sequelize.define<MigrationRow>(
    modelName,
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      name: { type: DataTypes.STRING(255), allowNull: false, unique: true },
      appliedAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW, field: 'applied_at' },
    },
    { tableName: MIGRATIONS_TABLE, timestamps: false },
  );
}

/**
 * umzug is loaded here, when migrations are applied or reverted, not with the kernel: its main entry
 * pulls its CLI (@rushstack/ts-command-line, ~20 MB of RSS) and no deeper entry avoids it (lib/umzug
 * requires lib/cli itself). A `database.migrate: manual` gateway, or an `auto` one that finds nothing
 * pending (see `pendingIn`), never loads it.
 */
export function createUmzug(
  sequelize: Sequelize,
  dialect: Dialect,
  plan: PlannedMigration[],
  model: ModelStatic<MigrationRow>,
): Umzug {
  // Lazy on purpose (see above).
  const { SequelizeStorage, Umzug } = require('umzug') as typeof import('umzug');
  return new Umzug({
    migrations: plan.map(({ id, set, migration }) => {
      const context: MigrationContext = {
        sequelize,
        queryInterface: sequelize.getQueryInterface(),
        dialect,
        table: (name) => `${set.tablePrefix}_${name}`,
      };
      return {
        name: id,
        up: () => migration.up(context),
        down: async () => {
          if (!migration.down) throw new Error(`Migration ${id} cannot be reverted: it has no down()`);
          await migration.down(context);
        },
      };
    }),
    storage: new SequelizeStorage({ model }),
    // Silent: umzug logs to nothing unless given a logger; callers report what was applied.
    logger: undefined,
  });
}

/** Applied migration ids, most recently applied first. */
export async function appliedNewestFirst(model: ModelStatic<MigrationRow>): Promise<string[]> {
  await model.sync();
  const rows = await model.findAll({ attributes: ['id', 'name'], order: [['id', 'DESC']] });
  return rows.map((row) => row.name);
}

/** Planned ids not yet applied, in plan order: what umzug's `up()` would run. */
export function pendingIn(plan: PlannedMigration[], applied: Set<string>): string[] {
  return plan.filter(({ id }) => !applied.has(id)).map(({ id }) => id);
}

export function statusOf(plan: PlannedMigration[], applied: Set<string>): MigrationStatus[] {
  return plan.map(({ id, set, migration }) => ({ owner: set.owner, name: migration.name, applied: applied.has(id) }));
}
