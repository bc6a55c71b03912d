/**
 * Bulk seed of behavior events for the console bench: `events` tracked events of `users` users over
 * the `days` UTC days ending now, written straight into the behavior plugin's tables (created by its
 * migrations when the gateway started), then one profile per identified user built from its events
 * (first and last seen, event count), as the consumer's EventWriter keeps them. Deterministic, like
 * the usage seed: the same plan gives the same rows on SQLite and PostgreSQL.
 *
 * Realistic shape: a few heavy users and a long tail (most users are seen on a handful of days),
 * traffic growing over the range and following the working day, page views and searches as the
 * bulk, and a signup → activation → purchase path that fewer users go further along, hours to days
 * apart (so funnels and retention have real drop-offs).
 */
import { bulkColumns, bulkSource, type BulkColumn, type Sql } from '@aihub/core/plugin-api';
import { rebuildDaily } from '@aihub/plugin-behavior';

export interface BehaviorSeedPlan {
  tenantId: string;
  events: number;
  users: number;
  days: number;
  now: number;
}

/** The funnel the bench opens (the path every user may walk). */
export const FUNNEL_STEPS = ['Signed Up', 'Activated', 'Order Completed'];
const BROWSING: [string, number][] = [
  ['Page Viewed', 50],
  ['Search', 14],
  ['Product Viewed', 12],
  ['Button Clicked', 10],
  ['Added To Cart', 5],
  ['Logged In', 6],
  ['Settings Changed', 1],
];
const PATHS = ['/', '/pricing', '/docs', '/blog', '/product/a', '/product/b', '/cart', '/account'];
const PLANS = ['free', 'free', 'free', 'pro', 'team', 'enterprise'];

const COLUMNS: readonly BulkColumn[] = [
  ['tenant_id', 'text'],
  ['message_id', 'text'],
  ['type', 'text'],
  ['event', 'text'],
  ['user_id', 'text'],
  ['anonymous_id', 'text'],
  ['distinct_id', 'text'],
  ['timestamp', 'timestamptz'],
  ['received_at', 'timestamptz'],
  ['properties', 'jsonb'],
  ['context', 'jsonb'],
];

/** mulberry32: a small deterministic PRNG. */
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

function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return String(v);
  return `'${String(v).replace(/'/g, "''")}'`;
}

interface RawSqlite {
  exec(script: string, cb: (err: Error | null) => void): void;
}

async function write(sql: Sql, rows: Record<string, unknown>[][]): Promise<void> {
  if (sql.dialect === 'sqlite') {
    // One exec() script on the gateway's own connection (see seed.ts: Sequelize parses big statements slowly).
    const manager = sql.sequelize.connectionManager as unknown as { getConnection(o: object): Promise<RawSqlite> };
    const conn = await manager.getConnection({});
    const statements = rows.map(
      (batch) =>
        `INSERT INTO behavior_events (${bulkColumns(COLUMNS)}) VALUES ${batch.map((r) => `(${COLUMNS.map(([n]) => literal(r[n])).join(',')})`).join(',')};`,
    );
    await new Promise<void>((resolve, reject) =>
      conn.exec(`BEGIN;\n${statements.join('\n')}\nCOMMIT;`, (err) => (err ? reject(err) : resolve())),
    );
    return;
  }
  await sql.transaction(async (t) => {
    for (const batch of rows) {
      const bind: unknown[] = [];
      await sql.rows(
        `INSERT INTO behavior_events (${bulkColumns(COLUMNS)}) ${bulkSource(sql.dialect, COLUMNS, batch, bind)}`,
        bind,
        t,
      );
    }
  });
}

/** Writes the plan's events and the profiles of their users; calls `progress` with the events written so far. */
export async function seedBehavior(sql: Sql, plan: BehaviorSeedPlan, progress: (done: number) => void): Promise<void> {
  const rand = prng(11);
  const DAY = 86_400_000;
  const start = plan.now - plan.days * DAY;
  const browsingWeight = BROWSING.reduce((a, [, w]) => a + w, 0);
  const browse = () => {
    let w = rand() * browsingWeight;
    for (const [name, weight] of BROWSING) if ((w -= weight) < 0) return name;
    return BROWSING[0][0];
  };
  // Each user's first day (growing sign-ups), how deep into the funnel they go, and how active they are.
  const firstDay: number[] = [];
  const depth: number[] = [];
  for (let u = 0; u < plan.users; u++) {
    firstDay.push(Math.floor(rand() ** 0.8 * plan.days));
    const r = rand();
    depth.push(r < 0.35 ? 0 : r < 0.65 ? 1 : r < 0.85 ? 2 : 3);
  }
  const batchSize = sql.dialect === 'sqlite' ? 2000 : 5000;
  const perTransaction = sql.dialect === 'sqlite' ? 25 : 4;
  let done = 0;
  let u = 0;
  let pending: Record<string, unknown>[] = [];
  const group: Record<string, unknown>[][] = [];
  const flush = async (force: boolean) => {
    while (pending.length >= batchSize || (force && pending.length)) {
      group.push(pending.slice(0, batchSize));
      pending = pending.slice(batchSize);
    }
    if (group.length >= perTransaction || (force && group.length)) {
      await write(sql, group.splice(0));
      progress(done);
    }
  };
  const push = (user: number, event: string, ts: number, props: Record<string, unknown>) => {
    if (done >= plan.events) return;
    const id = `user-${user}`;
    const iso = new Date(Math.min(plan.now - 1000, ts)).toISOString();
    pending.push({
      tenant_id: plan.tenantId,
      message_id: `bev-${done.toString(36)}`,
      type: 'track',
      event,
      user_id: id,
      anonymous_id: null,
      distinct_id: id,
      timestamp: iso,
      received_at: iso,
      properties: JSON.stringify(props),
      context: JSON.stringify({ library: { name: 'analytics.js', version: '4.1.0' } }),
    });
    done++;
  };
  // Users in turn, each with a skewed number of events (a few heavy users, a long tail), until the total is reached.
  while (done < plan.events) {
    const user = u % plan.users;
    const plan0 = PLANS[user % PLANS.length];
    const first = start + firstDay[user] * DAY + Math.floor(rand() * DAY);
    const lifetime = plan.now - first;
    const n = 1 + Math.floor(rand() ** 3 * 80);
    if (u < plan.users) {
      // The funnel path, once per user: steps hours to days apart.
      let t = first;
      for (let k = 0; k < depth[user] && t < plan.now; k++) {
        push(user, FUNNEL_STEPS[k], t, { plan: plan0 });
        t += Math.floor(rand() * rand() * 6 * DAY) + 60_000;
      }
    }
    for (let i = 0; i < n; i++) {
      let ts = first + Math.floor(rand() ** 1.5 * lifetime);
      const hour = new Date(ts).getUTCHours();
      if ((hour < 6 || hour > 21) && rand() < 0.5) ts += (hour < 6 ? 8 : -8) * 3_600_000;
      push(user, browse(), Math.max(start, ts), { plan: plan0, path: PATHS[Math.floor(rand() * PATHS.length)] });
    }
    u++;
    await flush(false);
  }
  await flush(true);
  // Profiles as the consumer keeps them (traits empty: the seed sends no identify calls).
  await sql.rows(
    `INSERT INTO behavior_profiles (tenant_id, user_id, traits, anonymous_ids, first_seen, last_seen, event_count, updated_at)
     SELECT tenant_id, user_id, '{}', '[]', MIN("timestamp"), MAX("timestamp"), COUNT(*), MAX("timestamp") FROM behavior_events
     WHERE tenant_id = $1 AND user_id IS NOT NULL GROUP BY tenant_id, user_id`,
    [plan.tenantId],
  );
  // The daily user sets as the EventWriter keeps them (built by the same SQL as the migration's backfill).
  await rebuildDaily(sql, { events: 'behavior_events', daily: 'behavior_daily_users' }, plan.tenantId);
}
