/**
 * The server side of the behavior screens in `bench:console`, without a browser: a gateway with the
 * behavior plugin, the same seed (console/behavior-seed.ts), then the analytics calls the screens
 * make, timed (each run listed). Finds which query a slow screen waits for. Run:
 *   node --conditions=aihub-source --import tsx bench/src/console/profile-behavior.ts
 * Env: BK=embedded|postgres, BE (events, default 1,000,000), RUNS (default 3), KEEP=1 keeps the
 * seeded database to profile its queries by hand.
 */
import {
  asCaller,
  createBackend,
  identityPlugin,
  probePlugin,
  startTestGateway,
  type BackendKind,
} from '@aihub/core/testing';
import { createSql } from '@aihub/core/plugin-api';
import behaviorPlugin from '@aihub/plugin-behavior';
import { seedBehavior, FUNNEL_STEPS } from './behavior-seed';

const kind = (process.env.BK ?? 'embedded') as BackendKind;
const EVENTS = Number(process.env.BE ?? 1_000_000);
const day = (o: number) => new Date(Date.now() + o * 86_400_000).toISOString().slice(0, 10);
async function main() {
  const backend = await createBackend(kind);
  const probe = probePlugin();
  const gw = await startTestGateway({
    plugins: [identityPlugin(), behaviorPlugin, probe.plugin],
    pluginConfig: { behavior: { consumer: { enabled: false } } },
    config: backend.config,
  });
  const sql = createSql(probe.ctx().database);
  const t0 = Date.now();
  await seedBehavior(sql, { tenantId: 'bench', events: EVENTS, users: 40_000, days: 90, now: Date.now() }, (d) =>
    process.stdout.write(`\r${d}`),
  );
  await sql.rows('ANALYZE');
  console.log(`\nseed ${(Date.now() - t0) / 1000}s  db=${backend.databaseUrl}`);
  const headers = asCaller({ tenant: 'bench', role: 'developer' });
  const r30 = `from=${day(-29)}&to=${day(0)}`;
  const r90 = `from=${day(-89)}&to=${day(0)}`;
  const qs: [string, string][] = [
    ['top events 30', `top/events?${r30}&type=track&limit=100`],
    ['trends 30', `events?${r30}&interval=day&group_by=event`],
    ['trends 90', `events?${r90}&interval=day&group_by=event`],
    ['funnel 30', `funnels?${r30}&step=${FUNNEL_STEPS.map(encodeURIComponent).join('&step=')}&window=7d`],
    ['retention 30 week 8', `retention?${r30}&interval=week&periods=8`],
    ['user', 'users/user-3?limit=25'],
  ];
  for (const [name, q] of qs) {
    const ms: number[] = [];
    let body = '';
    for (let i = 0; i < Number(process.env.RUNS ?? 3); i++) {
      const s = performance.now();
      const res = await gw.fetch(`/admin/v1/tenants/bench/analytics/${q}`, { headers });
      body = await res.text();
      if (res.status !== 200) {
        console.log(name, res.status, body.slice(0, 300));
        break;
      }
      ms.push(performance.now() - s);
    }
    ms.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(24)} ${ms.map((m) => m.toFixed(0)).join(' ')}   ${body.length} bytes ${body.slice(0, 150)}`,
    );
  }
  await gw.stop();
  if (!process.env.KEEP) await backend.cleanup();
}
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
