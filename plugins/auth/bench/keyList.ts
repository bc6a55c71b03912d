/**
 * The console's key list at scale: seeds 100,000 API keys into one tenant on PostgreSQL (one
 * INSERT … SELECT over generate_series, a second or two) and measures
 * `GET /admin/v1/tenants/:id/api-keys` over HTTP for first pages, deep pages (following cursors),
 * every sort, each filter and searches (including one that matches nothing: the worst case, a full
 * scan of the tenant's keys). Prints p50/p95 per scenario; the budget is < 300 ms.
 *
 *   node --conditions=aihub-source --import tsx plugins/auth/bench/keyList.ts [keys] [runs]
 *
 * Needs the local PostgreSQL and Redis (the production chain).
 */
import http from 'node:http';
import { createTestDatabase } from '@aihub/core/testing';
import { startTestGateway } from '@aihub/core/testing';
import tenancy from '@aihub/plugin-tenancy';
import auth, { generateApiKey } from '../src/index';
import { seedKeys } from './seedKeys';

const KEYS = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 30);
const BUDGET_MS = 300;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(
  port: number,
  path: string,
  key: string,
): Promise<{ ms: number; body: { data: { id: string }[]; next_cursor: string | null } }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = http.request(
      { host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${key}` }, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - t;
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode} ${text.slice(0, 300)}`));
          else resolve({ ms, body: JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

async function main(): Promise<void> {
  const db = await createTestDatabase('postgres');
  const adminKey = generateApiKey().key;
  const prefix = `aihub-bench-${Math.random().toString(36).slice(2)}:`;
  const gw = await startTestGateway({
    plugins: [tenancy, auth],
    pluginConfig: {
      auth: { keySecret: 'bench-key-secret-0123456789abcdefghijklmnop', bootstrap: { adminKey, print: false } },
    },
    config: { database: { url: db.url }, redis: { url: 'redis://127.0.0.1:6379', keyPrefix: prefix } },
  });
  try {
    const port = Number(new URL(gw.url).port);
    const tenants = (await (
      await gw.fetch('/admin/v1/tenants', { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as { data: { id: string; slug: string }[] };
    const tenantId = tenants.data.find((t) => t.slug === 'default')!.id;
    const t0 = performance.now();
    const count = await seedKeys(db.url, tenantId, KEYS);
    console.log(`seeded ${count} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const base = `/admin/v1/tenants/${tenantId}/api-keys?limit=50`;
    const someId = (await get(port, `${base}&sort=name`, adminKey)).body.data[0].id;
    const scenarios: [string, string][] = [
      ['newest first (default)', ''],
      ['sort=name', '&sort=name'],
      ['sort=-name', '&sort=-name'],
      ['sort=-last_used_at', '&sort=-last_used_at'],
      ['sort=last_used_at', '&sort=last_used_at'],
      ['sort=expires_at', '&sort=expires_at'],
      ['sort=-expires_at', '&sort=-expires_at'],
      ['status=active', '&status=active'],
      ['status=revoked', '&status=revoked'],
      ['status=revoked&sort=-last_used_at', '&status=revoked&sort=-last_used_at'],
      ['status=expired&sort=-expires_at', '&status=expired&sort=-expires_at'],
      ['owner', '&owner=usr_bench7'],
      ['team_id + sort=name', '&team_id=team_bench3&sort=name'],
      ['q=staging (substring, many hits)', '&q=staging'],
      ['q=<id prefix>', `&q=ahk_${someId.slice(0, 6)}`],
      ['q=nomatch (full scan)', '&q=nomatch'],
      ['q=staging&status=revoked&sort=-last_used_at', '&q=staging&status=revoked&sort=-last_used_at'],
      ['owner + status + q', '&owner=usr_bench7&status=active&q=prod'],
    ];
    const rows: { scenario: string; p50: number; p95: number; page2p50: number }[] = [];
    for (const [name, query] of scenarios) {
      for (let i = 0; i < 3; i++) await get(port, base + query, adminKey); // warm
      const first: number[] = [];
      const second: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const r = await get(port, base + query, adminKey);
        first.push(r.ms);
        if (r.body.next_cursor)
          second.push((await get(port, `${base}${query}&cursor=${r.body.next_cursor}`, adminKey)).ms);
      }
      rows.push({
        scenario: name,
        p50: pct(first, 0.5),
        p95: pct(first, 0.95),
        page2p50: second.length ? pct(second, 0.5) : NaN,
      });
    }
    // Deep paging: follow next_cursor 200 pages (10,000 keys in) for two sorts and time each page.
    for (const query of ['', '&sort=-last_used_at']) {
      let cursor: string | null = null;
      const times: number[] = [];
      for (let page = 0; page < 200; page++) {
        const r = await get(port, `${base}${query}${cursor ? `&cursor=${cursor}` : ''}`, adminKey);
        times.push(r.ms);
        cursor = r.body.next_cursor;
        if (!cursor) break;
      }
      rows.push({
        scenario: `pages 1-200${query || ' (default)'}`,
        p50: pct(times, 0.5),
        p95: pct(times, 0.95),
        page2p50: times[times.length - 1],
      });
    }
    console.log(`\nGET …/api-keys?limit=50 over HTTP, ${KEYS} keys in one tenant, PostgreSQL, ${RUNS} runs each (ms)`);
    console.log('scenario'.padEnd(40), 'p50'.padStart(8), 'p95'.padStart(8), 'next page p50 / last'.padStart(22));
    for (const r of rows)
      console.log(
        r.scenario.padEnd(40),
        r.p50.toFixed(2).padStart(8),
        r.p95.toFixed(2).padStart(8),
        r.page2p50.toFixed(2).padStart(22),
      );
    const worst = Math.max(...rows.map((r) => r.p95));
    console.log(
      `\nworst p95 ${worst.toFixed(1)} ms: ${worst < BUDGET_MS ? 'within' : 'OVER'} the ${BUDGET_MS} ms budget`,
    );
    if (worst >= BUDGET_MS) process.exitCode = 1;
  } finally {
    agent.destroy();
    await gw.stop();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
