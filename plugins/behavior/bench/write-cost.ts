/**
 * Write cost of the per-day totals (bounded): the consumer's EventWriter writing batches of B events
 * (the consumer's batch size) with the totals kept and without them (the daily user sets alone, one
 * upsert, as before the totals), alternating batch by batch in one process on one database (two
 * tenants), so machine load hits both alike. Events are "now"-like: U users over one UTC day, so most
 * daily rows already exist after the first batches (the update path the totals make two statements).
 * Reports events/s (median batch) for each.
 *
 *   node --conditions=aihub-source --import tsx plugins/behavior/bench/write-cost.ts [--backend embedded|postgres] [--batches 40] [--batch 2000] [--users 5000]
 */
import { parseArgs } from 'node:util';
import { createSql } from '@aihub/core/plugin-api';
import { createBackend, identityPlugin, probePlugin, startTestGateway, type BackendKind } from '@aihub/core/testing';
import { EventWriter } from '../src/consumer/EventWriter';
import type { StoredEvent } from '../src/ingest/events';
import behaviorPlugin from '../src/index';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'embedded' },
    batches: { type: 'string', default: '40' },
    batch: { type: 'string', default: '2000' },
    users: { type: 'string', default: '5000' },
  },
});
const EVENTS = ['Page Viewed', 'Product Viewed', 'Added To Cart', 'Checkout Started', 'Order Completed'];
const DAY = 86_400_000;

async function main(): Promise<void> {
  const backend = await createBackend(values.backend as BackendKind);
  const probe = probePlugin();
  const gw = await startTestGateway({
    plugins: [identityPlugin(), behaviorPlugin, probe.plugin],
    pluginConfig: { behavior: { consumer: { enabled: false } } },
    config: backend.config,
  });
  try {
    const sql = createSql(probe.ctx().database);
    const t = {
      events: 'behavior_events',
      profiles: 'behavior_profiles',
      deleted: 'behavior_deleted_users',
      tenants: 'behavior_tenants',
      daily: 'behavior_daily_users',
    };
    const writers = { without: new EventWriter(sql, { ...t, totals: null }), with: new EventWriter(sql, t) };
    const times: Record<keyof typeof writers, number[]> = { without: [], with: [] };
    const size = Number(values.batch);
    const users = Number(values.users);
    const day = Date.UTC(2026, 0, 15);
    let seq = 0;
    const batch = (tenantId: string): StoredEvent[] =>
      Array.from({ length: size }, () => {
        const i = seq++;
        const ts = new Date(day + ((i * 104_729) % DAY)).toISOString();
        return {
          tenantId,
          messageId: `m-${i}`,
          type: 'track',
          event: EVENTS[i % EVENTS.length],
          userId: `user-${(i * 7919) % users}`,
          anonymousId: null,
          groupId: null,
          previousId: null,
          timestamp: ts,
          receivedAt: ts,
          properties: { plan: i % 3 ? 'free' : 'pro' },
          traits: null,
          context: null,
        };
      });
    for (let b = 0; b < Number(values.batches); b++) {
      // Alternate which goes first, so neither always follows the other's writes.
      const order: (keyof typeof writers)[] = b % 2 ? ['with', 'without'] : ['without', 'with'];
      for (const k of order) {
        const events = batch(`bench-${k}`);
        const s = performance.now();
        const out = await writers[k].write(events);
        if (out.inserted !== size) throw new Error(`${k}: ${out.inserted} of ${size} inserted`);
        times[k].push(performance.now() - s);
      }
    }
    for (const k of ['without', 'with'] as const) {
      const sorted = [...times[k]].sort((a, b) => a - b);
      const median = sorted[sorted.length >> 1];
      console.log(
        `${values.backend} ${k.padEnd(7)} totals: median batch ${median.toFixed(1)} ms = ${Math.round((size / median) * 1000)} events/s (min ${sorted[0].toFixed(1)}, max ${sorted[sorted.length - 1].toFixed(1)})`,
      );
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
