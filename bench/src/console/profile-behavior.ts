/**
 * The server side of the behavior screens in `bench:console`, without a browser: a gateway with the
 * behavior plugin, the same seed (console/behavior-seed.ts), then the analytics calls the screens
 * make, each timed alone (server time: every run listed), then the screens' sequence as the console
 * makes it (a screen's first call, then its follow-ups sent without waiting while the next screen
 * opens), which shows whether a screen's first paint waits behind the previous screen's follow-ups.
 * Finds which query a slow screen waits for. Run:
 *   node --conditions=aihub-source --import tsx bench/src/console/profile-behavior.ts
 * Env: BK=embedded|postgres, BE (events, default 1,000,000), RUNS (default 3), KEEP=1 keeps the
 * seeded database to profile its queries by hand, DB=<database url> reuses one kept that way (no seed).
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
  const reuse = process.env.DB;
  const probe = probePlugin();
  const gw = await startTestGateway({
    plugins: [identityPlugin(), behaviorPlugin, probe.plugin],
    pluginConfig: { behavior: { consumer: { enabled: false } } },
    config: reuse ? { ...backend.config, database: { url: reuse, poolMax: 10 } } : backend.config,
  });
  const sql = createSql(probe.ctx().database);
  if (!reuse) {
    const t0 = Date.now();
    await seedBehavior(sql, { tenantId: 'bench', events: EVENTS, users: 40_000, days: 90, now: Date.now() }, (d) =>
      process.stdout.write(`\r${d}`),
    );
    await sql.rows('ANALYZE');
    console.log(`\nseed ${(Date.now() - t0) / 1000}s  db=${backend.databaseUrl}`);
  }
  const headers = asCaller({ tenant: 'bench', role: 'developer' });
  const r30 = `from=${day(-29)}&to=${day(0)}`;
  const r90 = `from=${day(-89)}&to=${day(0)}`;
  // What each screen asks, in order: the first call paints the screen, the rest follow it (trends-page.ts, retention-page.ts).
  const screens: [string, string[]][] = [
    [
      'trends 30',
      [
        `events?${r30}&interval=day&group_by=event&users=false`,
        `events?${r30}&interval=day&group_by=event`,
        `top/events?${r30}&type=track&limit=100`,
      ],
    ],
    [
      'trends 90',
      [
        `events?${r90}&interval=day&group_by=event&users=false`,
        `events?${r90}&interval=day&group_by=event`,
        `top/events?${r90}&type=track&limit=100`,
      ],
    ],
    ['funnel 30', [`funnels?${r30}&step=${FUNNEL_STEPS.map(encodeURIComponent).join('&step=')}&window=7d`]],
    ['retention 30 week 8', [`retention?${r30}&interval=week&periods=8`, `top/events?${r30}&type=track&limit=100`]],
    ['user', ['users/user-3?limit=25']],
  ];
  const call = async (q: string) => {
    const s = performance.now();
    const res = await gw.fetch(`/admin/v1/tenants/bench/analytics/${q}`, { headers });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${q}: ${res.status} ${body.slice(0, 300)}`);
    return { ms: performance.now() - s, body };
  };
  console.log('each call alone (ms, every run):');
  for (const [name, qs] of screens)
    for (const [i, q] of qs.entries()) {
      const ms: number[] = [];
      let body = '';
      for (let r = 0; r < Number(process.env.RUNS ?? 3); r++)
        ({ body } = await call(q).then((x) => (ms.push(x.ms), x)));
      console.log(
        `  ${(i ? `  ${q.split('?')[0]}${q.includes('users=false') ? '' : q.startsWith('events') ? ' (users)' : ''}` : name).padEnd(28)} ${ms.map((m) => m.toFixed(0).padStart(5)).join(' ')}   ${body.length} bytes ${body.slice(0, 100)}`,
      );
    }
  console.log("screens in turn (first call's time; the previous screen's follow-ups still running):");
  let followUps: Promise<unknown>[] = [];
  for (const [name, [first, ...rest]] of screens) {
    const { ms } = await call(first);
    console.log(`  ${name.padEnd(28)} ${ms.toFixed(0).padStart(5)}`);
    await Promise.all(followUps);
    followUps = rest.map((q) => call(q));
  }
  await Promise.all(followUps);
  await gw.stop();
  if (!process.env.KEEP && !reuse) await backend.cleanup();
  if (reuse) await backend.cleanup();
}
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
