import { QueryTypes, Sequelize } from 'sequelize';

/**
 * Inserts `n` API keys into one tenant on PostgreSQL with one INSERT … SELECT over generate_series
 * (no round trip per key): 50 owners (`usr_bench<0-49>`), 20 teams (`team_bench<0-19>`), 30% never
 * used, half without expiry, 5% revoked, names like "prod service 42". The secrets are random
 * hashes: these keys list and filter like real ones but cannot authenticate. Returns the tenant's
 * key count. Used by the key-list benchmark and the console's browser measurement.
 */
export async function seedKeys(url: string, tenantId: string, n: number): Promise<number> {
  const sql = new Sequelize(url, { dialect: 'postgres', logging: false, pool: { max: 1 } });
  try {
    await sql.query(
      `INSERT INTO auth_api_keys (id, tenant_id, name, user_id, team_id, secret_hash, scopes, role, superadmin,
         expires_at, revoked_at, last_used_at, limits, budgets, created_by, created_at, updated_at)
       SELECT substr(md5(i::text || 'id' || :tenantId), 1, 12), :tenantId,
              (ARRAY['prod','staging','ci','batch','dev'])[1 + i % 5] || ' service ' || i,
              'usr_bench' || (i % 50), 'team_bench' || (i % 20),
              md5(i::text) || md5(i::text || 's'), '["ai:invoke"]', 'developer', false,
              CASE WHEN i % 2 = 0 THEN NULL ELSE now() + ((i % 400) - 30) * interval '1 day' END,
              CASE WHEN i % 20 = 0 THEN now() - (i % 90) * interval '1 day' END,
              CASE WHEN i % 10 < 3 THEN NULL ELSE now() - (i % 5000) * interval '1 minute' END,
              NULL, NULL, 'bench', now() - i * interval '1 second' - interval '1 hour', now() - i * interval '1 second' - interval '1 hour'
         FROM generate_series(1, :n) AS i`,
      { replacements: { tenantId, n } },
    );
    await sql.query('ANALYZE auth_api_keys');
    const [{ count }] = (await sql.query(
      'SELECT count(*)::int AS count FROM auth_api_keys WHERE tenant_id = :tenantId',
      { replacements: { tenantId }, type: QueryTypes.SELECT },
    )) as { count: number }[];
    return count;
  } finally {
    await sql.close();
  }
}
