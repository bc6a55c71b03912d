import type { MigrationContext } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

// Column types and helpers shared by this plugin's migrations (each migration is one file beside this).

/** ai_requests columns after 0002: keyed by (tenant_id, request_id); '' is "no tenant". */
export function requestColumns(tenantKeyed: boolean) {
  return {
    tenant_id: tenantKeyed
      ? { type: DataTypes.STRING(64), allowNull: false, defaultValue: '', primaryKey: true }
      : { type: DataTypes.STRING(64), allowNull: true },
    request_id: { type: DataTypes.STRING(128), primaryKey: true, allowNull: false },
    experiment: { type: DataTypes.STRING(128), allowNull: true },
    variant: { type: DataTypes.STRING(128), allowNull: true },
    model: { type: DataTypes.STRING(256), allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    latency_ms: { type: DataTypes.INTEGER, allowNull: false },
    prompt_tokens: { type: DataTypes.INTEGER, allowNull: false },
    completion_tokens: { type: DataTypes.INTEGER, allowNull: false },
    cost_micros: { type: DataTypes.BIGINT, allowNull: true },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
  };
}

export const COPIED =
  'request_id, experiment, variant, model, status, latency_ms, prompt_tokens, completion_tokens, cost_micros, created_at';

/**
 * Rebuilds ai_requests with another key (SQLite cannot change a primary key in place): a new table,
 * the rows copied (`tenantExpr` maps tenant_id), the old one dropped, the new one renamed, indexes
 * recreated. Runs inside the migration's transaction where the dialect has one.
 */
export async function rebuildRequests(ctx: MigrationContext, tenantKeyed: boolean, tenantExpr: string): Promise<void> {
  const { queryInterface: qi, sequelize, table } = ctx;
  const t = table('requests');
  const tmp = `${t}_rebuild`;
  await qi.createTable(tmp, requestColumns(tenantKeyed));
  // ON CONFLICT DO NOTHING: going back to one global key keeps the first row of a duplicated id.
  await sequelize.query(
    `INSERT INTO ${tmp} (tenant_id, ${COPIED}) SELECT ${tenantExpr}, ${COPIED} FROM ${t} ORDER BY created_at ON CONFLICT DO NOTHING`,
  );
  await qi.dropTable(t);
  await qi.renameTable(tmp, t);
  // PostgreSQL names the key after the table it was created on; give it back the usual name so a
  // later rebuild (down, then up) does not collide with it.
  if (ctx.dialect === 'postgres')
    await sequelize.query(`ALTER TABLE "${t}" RENAME CONSTRAINT "${tmp}_pkey" TO "${t}_pkey"`);
  await qi.addIndex(t, ['tenant_id', 'created_at'], { name: `${t}_tenant_time` });
  await qi.addIndex(t, ['tenant_id', 'experiment', 'variant'], { name: `${t}_tenant_experiment` });
}
