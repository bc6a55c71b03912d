/**
 * Behavior analytics read benchmark (bounded): N events of U users over 30 days written through the
 * consumer's EventWriter (events + profiles, as ingestion would), then each query the console's
 * behavior screens make, timed through the real admin routes (median of R runs): trends by event
 * per day (with distinct users, and the counts alone: users=false), top events, a 3-step funnel (7-day window), daily retention (8 periods), a profile page —
 * first from the daily user sets, then (a second gateway on the same database with
 * analytics.dailyUserSets false) from the raw events, as before the sets existed.
 *
 *   node --conditions=aihub-source --import tsx plugins/behavior/bench/analytics.ts [--backend embedded|postgres] [--events 200000] [--users 20000] [--runs 5] [--seed writer|bulk]
 *
 * PostgreSQL at 127.0.0.1:5432 (AIHUB_TEST_PG_URL) for --backend postgres; its own database, removed afterwards.
 */
import { parseArgs } from 'node:util';
import {
  asCaller,
  createBackend,
  identityPlugin,
  probePlugin,
  startTestGateway,
  type BackendKind,
} from '@aihub/core/testing';
import { createSql } from '@aihub/core/plugin-api';
import { EventWriter } from '../src/consumer/EventWriter';
import type { StoredEvent } from '../src/ingest/events';
import behaviorPlugin from '../src/index';
import { seedBehavior } from '../../../bench/src/console/behavior-seed';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'embedded' },
    events: { type: 'string', default: '200000' },
    users: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '5' },
    // bulk: the console bench's seed (bench/src/console/behavior-seed.ts: its data shape, written
    // straight into the tables over 90 days, sets and totals rebuilt), far faster than the EventWriter at 1M events.
    seed: { type: 'string', default: 'writer' },
  },
});
const total = Number(values.events);
const users = Number(values.users);
const runs = Number(values.runs);
const STEPS = ['Page Viewed', 'Signed Up', 'Activated', 'Order Completed'];
const DAY = 86_400_000;

async function main(): Promise<void> {
  const backend = await createBackend(values.backend as BackendKind);
  const probe = probePlugin();
  const start = (dailyUserSets: boolean) =>
    startTestGateway({
      plugins: [identityPlugin(), behaviorPlugin, probe.plugin],
      pluginConfig: { behavior: { consumer: { enabled: false }, analytics: { dailyUserSets } } },
      config: backend.config,
    });
  let gw = await start(true);
  try {
    const writer = new EventWriter(createSql(probe.ctx().database), {
      events: 'behavior_events',
      profiles: 'behavior_profiles',
      deleted: 'behavior_deleted_users',
      tenants: 'behavior_tenants',
      daily: 'behavior_daily_users',
    });
    const end = Date.UTC(2026, 0, 31);
    const t0 = performance.now();
    if (values.seed === 'bulk')
      await seedBehavior(
        createSql(probe.ctx().database),
        { tenantId: 'bench', events: total, users, days: 90, now: end },
        () => {},
      );
    for (let written = values.seed === 'bulk' ? total : 0; written < total;) {
      const batch: StoredEvent[] = [];
      for (let i = 0; i < 2000 && written < total; i++, written++) {
        const u = written % users;
        // Users go deeper into the funnel less often; their events spread over 30 days.
        const step = Math.min(STEPS.length - 1, Math.floor(written / users) % (1 + (u % STEPS.length)));
        const ts = end - 30 * DAY + ((u * 7919 + written * 104_729) % (30 * DAY));
        batch.push({
          tenantId: 'bench',
          messageId: `m-${written}`,
          type: 'track',
          event: STEPS[step],
          userId: `user-${u}`,
          anonymousId: null,
          groupId: null,
          previousId: null,
          timestamp: new Date(ts).toISOString(),
          receivedAt: new Date(ts).toISOString(),
          properties: { plan: u % 3 ? 'free' : 'pro' },
          traits: null,
          context: null,
        });
      }
      await writer.write(batch);
    }
    console.log(
      `${values.backend}: wrote ${total} events of ${users} users in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const headers = asCaller({ tenant: 'bench', role: 'developer' });
    const range = 'from=2026-01-01&to=2026-01-30';
    const queries: [string, string][] = [
      ['trends (by event, day)', `events?${range}&interval=day&group_by=event`],
      // The console's first paint: the counts alone (per-day totals), users asked for after it.
      ['trends, no users (1st paint)', `events?${range}&interval=day&group_by=event&users=false`],
      ['trends (week)', `events?${range}&interval=week&group_by=event&users=false`],
      ['top events', `top/events?${range}&limit=100`],
      ['funnel (3 steps, 7d)', `funnels?${range}&steps=Signed%20Up,Activated,Order%20Completed&window=7d`],
      ['retention (day, 8 periods)', `retention?${range}&interval=day&periods=8`],
      ['profile page (25)', 'users/user-42?limit=25'],
    ];
    for (const daily of [true, false]) {
      if (!daily) {
        await gw.stop();
        gw = await start(false);
      }
      console.log(daily ? 'from the daily user sets:' : 'from the raw events (analytics.dailyUserSets: false):');
      for (const [name, q] of queries) {
        const times: number[] = [];
        for (let r = 0; r < runs; r++) {
          const s = performance.now();
          const res = await gw.fetch(`/admin/v1/tenants/bench/analytics/${q}`, { headers });
          const body = await res.text();
          if (res.status !== 200) throw new Error(`${name}: ${res.status} ${body}`);
          times.push(performance.now() - s);
        }
        times.sort((a, b) => a - b);
        console.log(
          `${name.padEnd(28)} median ${times[times.length >> 1].toFixed(0).padStart(6)} ms  (min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)})`,
        );
      }
    }
  } finally {
    await gw.stop();
    await backend.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
