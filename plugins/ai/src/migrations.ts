import type { Migration, MigrationContext } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

/** ai_requests columns after 0002: keyed by (tenant_id, request_id); '' is "no tenant". */
function requestColumns(tenantKeyed: boolean) {
  return {
    tenant_id: tenantKeyed ? { type: DataTypes.STRING(64), allowNull: false, defaultValue: '', primaryKey: true } : { type: DataTypes.STRING(64), allowNull: true },
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

const COPIED = 'request_id, experiment, variant, model, status, latency_ms, prompt_tokens, completion_tokens, cost_micros, created_at';

/**
 * Rebuilds ai_requests with another key (SQLite cannot change a primary key in place): a new table,
 * the rows copied (`tenantExpr` maps tenant_id), the old one dropped, the new one renamed, indexes
 * recreated. Runs inside the migration's transaction where the dialect has one.
 */
async function rebuildRequests(ctx: MigrationContext, tenantKeyed: boolean, tenantExpr: string): Promise<void> {
  const { queryInterface: qi, sequelize, table } = ctx;
  const t = table('requests');
  const tmp = `${t}_rebuild`;
  await qi.createTable(tmp, requestColumns(tenantKeyed));
  // ON CONFLICT DO NOTHING: going back to one global key keeps the first row of a duplicated id.
  await sequelize.query(`INSERT INTO ${tmp} (tenant_id, ${COPIED}) SELECT ${tenantExpr}, ${COPIED} FROM ${t} ORDER BY created_at ON CONFLICT DO NOTHING`);
  await qi.dropTable(t);
  await qi.renameTable(tmp, t);
  // PostgreSQL names the key after the table it was created on; give it back the usual name so a
  // later rebuild (down, then up) does not collide with it.
  if (ctx.dialect === 'postgres') await sequelize.query(`ALTER TABLE "${t}" RENAME CONSTRAINT "${tmp}_pkey" TO "${t}_pkey"`);
  await qi.addIndex(t, ['tenant_id', 'created_at'], { name: `${t}_tenant_time` });
  await qi.addIndex(t, ['tenant_id', 'experiment', 'variant'], { name: `${t}_tenant_experiment` });
}

/**
 * ai_requests: one small row per request (feedback checks ownership against it; experiment
 * summaries aggregate it). ai_feedback: scores given to requests. Both tenant-scoped. Times are
 * epoch milliseconds (BIGINT), identical on SQLite and PostgreSQL.
 */
export const migrations: Migration[] = [
  {
    name: '0001_create_requests_feedback',
    async up({ queryInterface: qi, table }) {
      await qi.createTable(table('requests'), {
        request_id: { type: DataTypes.STRING(128), primaryKey: true, allowNull: false },
        tenant_id: { type: DataTypes.STRING(64), allowNull: true },
        experiment: { type: DataTypes.STRING(128), allowNull: true },
        variant: { type: DataTypes.STRING(128), allowNull: true },
        model: { type: DataTypes.STRING(256), allowNull: false },
        status: { type: DataTypes.STRING(16), allowNull: false },
        latency_ms: { type: DataTypes.INTEGER, allowNull: false },
        prompt_tokens: { type: DataTypes.INTEGER, allowNull: false },
        completion_tokens: { type: DataTypes.INTEGER, allowNull: false },
        cost_micros: { type: DataTypes.BIGINT, allowNull: true },
        created_at: { type: DataTypes.BIGINT, allowNull: false },
      });
      await qi.addIndex(table('requests'), ['tenant_id', 'created_at'], { name: `${table('requests')}_tenant_time` });
      await qi.addIndex(table('requests'), ['tenant_id', 'experiment', 'variant'], { name: `${table('requests')}_tenant_experiment` });
      await qi.createTable(table('feedback'), {
        id: { type: DataTypes.STRING(40), primaryKey: true, allowNull: false },
        request_id: { type: DataTypes.STRING(128), allowNull: false },
        tenant_id: { type: DataTypes.STRING(64), allowNull: true },
        experiment: { type: DataTypes.STRING(128), allowNull: true },
        variant: { type: DataTypes.STRING(128), allowNull: true },
        score: { type: DataTypes.DOUBLE, allowNull: false },
        comment: { type: DataTypes.TEXT, allowNull: true },
        created_at: { type: DataTypes.BIGINT, allowNull: false },
      });
      await qi.addIndex(table('feedback'), ['tenant_id', 'request_id'], { name: `${table('feedback')}_tenant_request` });
      await qi.addIndex(table('feedback'), ['tenant_id', 'experiment', 'variant'], { name: `${table('feedback')}_tenant_experiment` });
    },
    async down({ queryInterface: qi, table }) {
      await qi.dropTable(table('feedback'));
      await qi.dropTable(table('requests'));
    },
  },
  {
    // A request id is the client's (x-request-id): keyed globally, one tenant could take another's
    // id first and leave that tenant's request unrecorded (its feedback then answers 404). Keyed by
    // (tenant_id, request_id), every tenant has its own id space; '' stands for "no tenant" because
    // a primary-key column cannot be NULL on PostgreSQL.
    name: '0002_requests_keyed_by_tenant',
    async up(ctx) {
      await rebuildRequests(ctx, true, "COALESCE(tenant_id, '')");
    },
    async down(ctx) {
      await rebuildRequests(ctx, false, "NULLIF(tenant_id, '')");
    },
  },
  {
    // The live catalog: each change made through the admin API is a numbered revision holding the
    // whole API overlay after it (see catalog/CatalogStore.ts). Not tenant-owned: the catalog is the
    // platform's, changed by superadmins only.
    name: '0003_catalog_revisions',
    async up({ queryInterface: qi, table }) {
      await qi.createTable(table('catalog_revisions'), {
        revision: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
        author: { type: DataTypes.STRING(256), allowNull: true },
        action: { type: DataTypes.STRING(64), allowNull: false },
        target: { type: DataTypes.STRING(512), allowNull: true },
        overlay: { type: DataTypes.TEXT, allowNull: false },
        created_at: { type: DataTypes.BIGINT, allowNull: false },
      });
    },
    async down({ queryInterface: qi, table }) {
      await qi.dropTable(table('catalog_revisions'));
    },
  },
  {
    // Responses stored by POST /v1/responses (store: true) for GET and previous_response_id. Keyed
    // by (tenant_id, id) like ai_requests ('' = no tenant): every read names the tenant.
    name: '0004_responses',
    async up({ queryInterface: qi, table }) {
      await qi.createTable(table('responses'), {
        tenant_id: { type: DataTypes.STRING(64), allowNull: false, defaultValue: '', primaryKey: true },
        id: { type: DataTypes.STRING(64), allowNull: false, primaryKey: true },
        key_id: { type: DataTypes.STRING(128), allowNull: true },
        model: { type: DataTypes.STRING(256), allowNull: false },
        status: { type: DataTypes.STRING(16), allowNull: false },
        response: { type: DataTypes.TEXT, allowNull: false },
        input_items: { type: DataTypes.TEXT, allowNull: false },
        conversation: { type: DataTypes.TEXT, allowNull: false },
        created_at: { type: DataTypes.BIGINT, allowNull: false },
        expires_at: { type: DataTypes.BIGINT, allowNull: false },
      });
      await qi.addIndex(table('responses'), ['expires_at'], { name: `${table('responses')}_expires` });
    },
    async down({ queryInterface: qi, table }) {
      await qi.dropTable(table('responses'));
    },
  },
];
