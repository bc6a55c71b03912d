import type { Migration } from '@aihub/core/plugin-api';

export const migration: Migration = {
  // The model already refuses updates and deletes; this makes the database refuse them too, so
  // raw SQL, another service on the same database or a careless migration cannot rewrite history.
  // Dropping the table (a down migration) stays possible.
  name: '0002_audit_append_only',
  async up({ sequelize, dialect, table }) {
    const t = table('audit_log');
    if (dialect === 'postgres') {
      await sequelize.query(
        `CREATE FUNCTION "${t}_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION '${t} is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege'; END $$`,
      );
      await sequelize.query(
        `CREATE TRIGGER "${t}_no_rewrite" BEFORE UPDATE OR DELETE ON "${t}" FOR EACH ROW EXECUTE FUNCTION "${t}_append_only"()`,
      );
      await sequelize.query(
        `CREATE TRIGGER "${t}_no_truncate" BEFORE TRUNCATE ON "${t}" FOR EACH STATEMENT EXECUTE FUNCTION "${t}_append_only"()`,
      );
    } else {
      await sequelize.query(
        `CREATE TRIGGER "${t}_no_update" BEFORE UPDATE ON "${t}" BEGIN SELECT RAISE(ABORT, '${t} is append-only: UPDATE is not allowed'); END`,
      );
      await sequelize.query(
        `CREATE TRIGGER "${t}_no_delete" BEFORE DELETE ON "${t}" BEGIN SELECT RAISE(ABORT, '${t} is append-only: DELETE is not allowed'); END`,
      );
    }
  },
  async down({ sequelize, dialect, table }) {
    const t = table('audit_log');
    if (dialect === 'postgres') {
      await sequelize.query(`DROP TRIGGER IF EXISTS "${t}_no_rewrite" ON "${t}"`);
      await sequelize.query(`DROP TRIGGER IF EXISTS "${t}_no_truncate" ON "${t}"`);
      await sequelize.query(`DROP FUNCTION IF EXISTS "${t}_append_only"()`);
    } else {
      await sequelize.query(`DROP TRIGGER IF EXISTS "${t}_no_update"`);
      await sequelize.query(`DROP TRIGGER IF EXISTS "${t}_no_delete"`);
    }
  },
};
