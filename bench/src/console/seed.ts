/**
 * Bulk seed for the console bench: a tenant's usage records (usage_records) and the ai plugin's
 * request log (ai_requests) written straight into the plugins' own tables (created by their
 * migrations when the gateway started), then the daily rollups rebuilt from the records exactly as
 * the usage consumer keeps them (plugins/usage/src/writer/rollups.ts), the latency histograms and the
 * invoice rollup by answering model. Deterministic: the same plan
 * gives the same rows on SQLite and PostgreSQL, so the two backends are measured on equal data.
 */
import { bulkColumns, bulkSource, type BulkColumn, type Sql } from '@aihub/core/plugin-api';
import { rebuildAnswered } from '../../../plugins/usage/src/writer/answered';
import { rebuildHistograms } from '../../../plugins/usage/src/writer/histogram';

export interface SeedPlan {
  tenantId: string;
  rows: number;
  /** Records are spread over the `days` UTC days ending today. */
  days: number;
  teams: string[];
  keys: string[];
  now: number;
}

/** Models with their provider and price per million tokens (input, cached input, output) in micro-dollars. */
const MODELS: { model: string; provider: string; price: [number, number, number]; weight: number }[] = [
  { model: 'gpt-4o-mini', provider: 'openai', price: [150_000, 75_000, 600_000], weight: 30 },
  { model: 'gpt-4o', provider: 'openai', price: [2_500_000, 1_250_000, 10_000_000], weight: 12 },
  { model: 'o3-mini', provider: 'openai', price: [1_100_000, 550_000, 4_400_000], weight: 5 },
  { model: 'claude-sonnet', provider: 'anthropic', price: [3_000_000, 300_000, 15_000_000], weight: 12 },
  { model: 'claude-haiku', provider: 'anthropic', price: [800_000, 80_000, 4_000_000], weight: 10 },
  { model: 'gemini-flash', provider: 'google', price: [100_000, 25_000, 400_000], weight: 10 },
  { model: 'llama-70b', provider: 'bedrock', price: [720_000, 720_000, 720_000], weight: 6 },
  { model: 'mistral-large', provider: 'mistral', price: [2_000_000, 2_000_000, 6_000_000], weight: 5 },
  { model: 'assistant', provider: 'mock', price: [500_000, 250_000, 1_500_000], weight: 8 },
  { model: 'local-embed', provider: 'ollama', price: [0, 0, 0], weight: 2 },
];
const ERRORS: [number, string][] = [
  [429, 'rate_limited'],
  [500, 'upstream_error'],
  [502, 'bad_gateway'],
  [504, 'upstream_timeout'],
  [400, 'invalid_request'],
];

const RECORD_COLUMNS: readonly BulkColumn[] = [
  ['request_id', 'text'],
  ['created_at', 'timestamptz'],
  ['recorded_at', 'timestamptz'],
  ['tenant_id', 'text'],
  ['key_id', 'text'],
  ['user_id', 'text'],
  ['team_id', 'text'],
  ['endpoint', 'text'],
  ['model', 'text'],
  ['resolved_model', 'text'],
  ['provider', 'text'],
  ['deployment', 'text'],
  ['experiment', 'text'],
  ['variant', 'text'],
  ['prompt_tokens', 'integer'],
  ['completion_tokens', 'integer'],
  ['cached_tokens', 'integer'],
  ['total_tokens', 'integer'],
  ['estimated', 'boolean'],
  ['cost_micros', 'bigint'],
  ['input_cost_micros', 'bigint'],
  ['cached_cost_micros', 'bigint'],
  ['output_cost_micros', 'bigint'],
  ['priced', 'boolean'],
  ['latency_ms', 'integer'],
  ['ttft_ms', 'integer'],
  ['status', 'text'],
  ['http_status', 'integer'],
  ['error_code', 'text'],
  ['cache_hit', 'boolean'],
  ['stream', 'boolean'],
  ['overhead_ms', 'double precision'],
];

const AI_COLUMNS: readonly BulkColumn[] = [
  ['tenant_id', 'text'],
  ['request_id', 'text'],
  ['experiment', 'text'],
  ['variant', 'text'],
  ['model', 'text'],
  ['status', 'text'],
  ['latency_ms', 'integer'],
  ['prompt_tokens', 'integer'],
  ['completion_tokens', 'integer'],
  ['cost_micros', 'bigint'],
  ['created_at', 'bigint'],
];

/** mulberry32: a small deterministic PRNG (the seed is the same on every run and backend). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Skewed pick: low indexes far more often (a few big keys, a long tail). */
const skewed = (r: number, n: number) => Math.min(n - 1, Math.floor(n * r * r * r));

/** An SQL literal of a generated value (numbers, booleans, ASCII strings this file makes, null). */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return String(v);
  return `'${String(v).replace(/'/g, "''")}'`;
}

/** The node-sqlite3 handle under Sequelize (exec runs a whole script, BEGIN … COMMIT, in one call). */
interface RawSqlite {
  exec(script: string, cb: (err: Error | null) => void): void;
}

/**
 * Writes groups of rows, one transaction per group. SQLite gets literal VALUES in one exec() script
 * on the gateway's own connection: Sequelize rewrites a statement per bind parameter and parses large
 * statements slowly (a 1M-row seed took many minutes). PostgreSQL gets each batch as one jsonb
 * parameter (bulkSource).
 */
async function writeGroup(
  sql: Sql,
  batches: { table: string; columns: readonly BulkColumn[]; rows: Record<string, unknown>[] }[],
): Promise<void> {
  if (sql.dialect === 'sqlite') {
    const manager = sql.sequelize.connectionManager as unknown as { getConnection(o: object): Promise<RawSqlite> };
    const conn = await manager.getConnection({});
    const statements = batches.map(
      (b) =>
        `INSERT INTO ${b.table} (${bulkColumns(b.columns)}) VALUES ${b.rows.map((r) => `(${b.columns.map(([n]) => literal(r[n])).join(',')})`).join(',')};`,
    );
    await new Promise<void>((resolve, reject) =>
      conn.exec(`BEGIN;\n${statements.join('\n')}\nCOMMIT;`, (err) => (err ? reject(err) : resolve())),
    );
    return;
  }
  await sql.transaction(async (t) => {
    for (const b of batches) {
      const bind: unknown[] = [];
      await sql.rows(
        `INSERT INTO ${b.table} (${bulkColumns(b.columns)}) ${bulkSource(sql.dialect, b.columns, b.rows, bind)}`,
        bind,
        t,
      );
    }
  });
}

/**
 * Inserts `plan.rows` usage records and matching ai_requests rows in batches, one transaction per
 * batch group. Calls `progress` with the rows written so far.
 */
export async function seedUsage(sql: Sql, plan: SeedPlan, progress: (done: number) => void): Promise<void> {
  const rand = prng(16);
  const totalWeight = MODELS.reduce((a, m) => a + m.weight, 0);
  const pickModel = () => {
    let w = rand() * totalWeight;
    for (const m of MODELS) if ((w -= m.weight) < 0) return m;
    return MODELS[0];
  };
  const start = plan.now - plan.days * 86_400_000;
  const batch = sql.dialect === 'sqlite' ? 2000 : 5000;
  const perTransaction = sql.dialect === 'sqlite' ? 25 : 4;
  let done = 0;
  while (done < plan.rows) {
    const group: Parameters<typeof writeGroup>[1] = [];
    {
      for (let b = 0; b < perTransaction && done < plan.rows; b++) {
        const n = Math.min(batch, plan.rows - done);
        const records: Record<string, unknown>[] = [];
        const ai: Record<string, unknown>[] = [];
        for (let i = 0; i < n; i++) {
          const idx = done + i;
          // Traffic grows over the 90 days and follows the working day (UTC).
          const u = Math.sqrt(rand());
          let created = Math.floor(start + u * (plan.now - start - 60_000));
          const hour = new Date(created).getUTCHours();
          if ((hour < 6 || hour > 20) && rand() < 0.5) created -= 8 * 3_600_000 * (hour < 6 ? -1 : 1);
          created = Math.min(plan.now - 60_000, Math.max(start, created));
          const m = pickModel();
          const r = rand();
          const status = r < 0.03 ? 'error' : r < 0.035 ? 'cancelled' : 'success';
          const err = status === 'error' ? ERRORS[Math.floor(rand() * ERRORS.length)] : undefined;
          const cacheHit = status === 'success' && rand() < 0.08;
          const stream = rand() < 0.4;
          const prompt = status === 'error' && err && err[0] < 500 ? 0 : 50 + Math.floor(rand() * rand() * 6000);
          const completion = status === 'success' ? 5 + Math.floor(rand() * rand() * 1500) : 0;
          const cached = rand() < 0.25 ? Math.floor(prompt * rand() * 0.8) : 0;
          // Log-normal-ish latency: most requests 300-2000 ms, a long tail to 60 s; cache hits are fast.
          const latency = cacheHit
            ? 2 + Math.floor(rand() * 20)
            : Math.min(60_000, Math.floor(Math.exp(5.8 + rand() * 1.6 + (rand() < 0.02 ? 2.5 : 0))));
          const priced = m.price[2] > 0;
          const input = cacheHit ? 0 : Math.round(((prompt - cached) * m.price[0]) / 1_000_000);
          const cachedCost = cacheHit ? 0 : Math.round((cached * m.price[1]) / 1_000_000);
          const output = cacheHit ? 0 : Math.round((completion * m.price[2]) / 1_000_000);
          const keyIdx = skewed(rand(), plan.keys.length);
          const team = keyIdx % 7 === 6 ? null : plan.teams[keyIdx % plan.teams.length];
          const experiment = m.model === 'assistant' ? 'tone' : null;
          const variant = experiment ? (rand() < 0.5 ? 'control' : 'treatment') : null;
          const resolved = variant ? (variant === 'control' ? 'exp-a' : 'exp-b') : m.model;
          const id = `bench-${idx.toString(36).padStart(7, '0')}`;
          records.push({
            request_id: id,
            created_at: new Date(created).toISOString(),
            recorded_at: new Date(created + latency).toISOString(),
            tenant_id: plan.tenantId,
            key_id: plan.keys[keyIdx],
            user_id: rand() < 0.6 ? `user-${Math.floor(rand() * 5000)}` : null,
            team_id: team,
            endpoint: m.model === 'local-embed' ? 'embeddings' : 'chat',
            model: m.model,
            resolved_model: resolved,
            provider: m.provider,
            deployment: `${m.provider}-${resolved}`,
            experiment,
            variant,
            prompt_tokens: prompt,
            completion_tokens: completion,
            cached_tokens: cached,
            total_tokens: prompt + completion,
            estimated: stream && rand() < 0.05,
            cost_micros: priced ? input + cachedCost + output : null,
            input_cost_micros: priced ? input : null,
            cached_cost_micros: priced ? cachedCost : null,
            output_cost_micros: priced ? output : null,
            priced,
            latency_ms: latency,
            ttft_ms: stream && status === 'success' ? Math.floor(latency * (0.1 + rand() * 0.4)) : null,
            status,
            http_status: err ? err[0] : status === 'cancelled' ? 499 : 200,
            error_code: err ? err[1] : status === 'cancelled' ? 'client_closed' : null,
            cache_hit: cacheHit,
            stream,
            // The gateway's own time: about a millisecond, fractional, a few slow outliers.
            overhead_ms: Math.round((0.3 + rand() * rand() * 4 + (rand() < 0.01 ? 20 * rand() : 0)) * 1000) / 1000,
          });
          ai.push({
            tenant_id: plan.tenantId,
            request_id: id,
            experiment,
            variant,
            model: m.model,
            status: status === 'success' ? 'success' : 'error',
            latency_ms: latency,
            prompt_tokens: prompt,
            completion_tokens: completion,
            cost_micros: priced ? input + cachedCost + output : null,
            created_at: created,
          });
        }
        group.push(
          { table: 'usage_records', columns: RECORD_COLUMNS, rows: records },
          { table: 'ai_requests', columns: AI_COLUMNS, rows: ai },
        );
        done += n;
      }
    }
    await writeGroup(sql, group);
    progress(done);
  }
}

/**
 * Rebuilds a tenant's usage_daily rows from its records: one row per (day, team, key, model,
 * provider) with the same measures and '' for a missing dimension (plugins/usage/src/writer/rollups.ts).
 */
export async function rebuildUsageRollups(sql: Sql, tenantId: string): Promise<void> {
  const day =
    sql.dialect === 'postgres' ? `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : 'substr(created_at, 1, 10)';
  const flag = (cond: string) => `SUM(CASE WHEN ${cond} THEN 1 ELSE 0 END)`;
  await sql.transaction(async (t) => {
    await sql.rows('DELETE FROM usage_daily WHERE tenant_id = $1', [tenantId], t);
    await sql.rows('DELETE FROM usage_latency WHERE tenant_id = $1', [tenantId], t);
    await sql.rows('DELETE FROM usage_answered WHERE tenant_id = $1', [tenantId], t);
    await rebuildAnswered(
      sql.dialect,
      (statement, bind) => sql.rows(statement, bind, t),
      { records: 'usage_records', answered: 'usage_answered' },
      tenantId,
    );
    await rebuildHistograms(
      sql.dialect,
      (statement, bind) => sql.rows(statement, bind, t),
      { records: 'usage_records', latency: 'usage_latency' },
      tenantId,
    );
    await sql.rows(
      `INSERT INTO usage_daily (day, tenant_id, team_id, key_id, model, provider, requests, success_requests, error_requests, cancelled_requests,
         cache_hits, stream_requests, estimated_requests, unpriced_requests, breakdown_requests, prompt_tokens, completion_tokens, cached_tokens,
         total_tokens, cost_micros, input_cost_micros, cached_cost_micros, output_cost_micros, latency_ms_sum)
       SELECT ${day}, tenant_id, COALESCE(team_id, ''), COALESCE(key_id, ''), model, COALESCE(provider, ''), COUNT(*),
         ${flag("status = 'success'")}, ${flag("status = 'error'")}, ${flag("status = 'cancelled'")}, ${flag('cache_hit')}, ${flag('stream')},
         ${flag('estimated')}, ${flag('NOT priced')},
         ${flag('input_cost_micros IS NOT NULL OR cached_cost_micros IS NOT NULL OR output_cost_micros IS NOT NULL')},
         SUM(prompt_tokens), SUM(completion_tokens), SUM(cached_tokens), SUM(total_tokens), COALESCE(SUM(cost_micros), 0),
         COALESCE(SUM(input_cost_micros), 0), COALESCE(SUM(cached_cost_micros), 0), COALESCE(SUM(output_cost_micros), 0), SUM(latency_ms)
       FROM usage_records WHERE tenant_id = $1
       GROUP BY ${day}, tenant_id, COALESCE(team_id, ''), COALESCE(key_id, ''), model, COALESCE(provider, '')`,
      [tenantId],
      t,
    );
  });
}
