/**
 * Event writer throughput (bounded): the consumer's EventWriter writing N batches of B events (the
 * consumer's batch size) into one database, with the events, daily user sets, per-day totals and
 * profiles it keeps in each batch's transaction. Events are "now"-like: U users over one UTC day, so
 * after the first batches most daily rows and profiles already exist (the update paths), 1 in 20 an
 * identify with traits. Reports events/s (median batch) and the process's CPU time per event
 * (user + system, SQLite's work included: node-sqlite3 runs it on the process's threads; not
 * PostgreSQL's, which runs in the server), the latter less sensitive to other load on the machine.
 *
 *   node --conditions=aihub-source --import tsx plugins/behavior/bench/writer.ts [--backend embedded|postgres] [--batches 20] [--batch 2000] [--users 5000] [--src <dir>] [--day-per-batch]
 *
 * `--day-per-batch` puts each batch on the next UTC day, so every daily row it writes is new (in
 * production, a day's first events of each user and event; the default's steady state is the update
 * path), with earlier days of the same users behind it (the per-day gaps' work).
 *
 * `--src` loads the plugin (schema and writer) from another checkout's `plugins/behavior/src`, for an
 * A/B of two versions: `git archive <commit> plugins/behavior | tar -x -C /tmp/base`, symlink
 * /tmp/base/node_modules to this repository's node_modules, then alternate runs of the two.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createSql } from '@aihub/core/plugin-api';
import { createBackend, identityPlugin, probePlugin, startTestGateway, type BackendKind } from '@aihub/core/testing';
import { EventWriter as LocalWriter } from '../src/consumer/EventWriter';
import localPlugin from '../src/index';
import type { StoredEvent } from '../src/ingest/events';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'embedded' },
    batches: { type: 'string', default: '20' },
    batch: { type: 'string', default: '2000' },
    users: { type: 'string', default: '5000' },
    src: { type: 'string' },
    // Each batch on the next UTC day: every daily row a batch writes is new (the per-day gaps' path).
    'day-per-batch': { type: 'boolean', default: false },
  },
});
const EVENTS = ['Page Viewed', 'Product Viewed', 'Added To Cart', 'Checkout Started', 'Order Completed'];
const DAY = 86_400_000;

async function main(): Promise<void> {
  const src = values.src ? path.resolve(values.src) : undefined;
  const { EventWriter } = src
    ? ((await import(path.join(src, 'consumer/EventWriter.ts'))) as { EventWriter: typeof LocalWriter })
    : { EventWriter: LocalWriter };
  const behaviorPlugin = src
    ? ((await import(path.join(src, 'index.ts'))) as { default: unknown }).default
    : localPlugin;
  const backend = await createBackend(values.backend as BackendKind);
  const probe = probePlugin();
  const gw = await startTestGateway({
    plugins: [identityPlugin(), behaviorPlugin as never, probe.plugin],
    pluginConfig: { behavior: { consumer: { enabled: false } } },
    config: backend.config,
  });
  try {
    const writer = new EventWriter(createSql(probe.ctx().database), {
      events: 'behavior_events',
      profiles: 'behavior_profiles',
      deleted: 'behavior_deleted_users',
      tenants: 'behavior_tenants',
      daily: 'behavior_daily_users',
    });
    const size = Number(values.batch);
    const users = Number(values.users);
    const first = Date.UTC(2026, 0, 15);
    let day = first;
    let seq = 0;
    const batch = (): StoredEvent[] =>
      Array.from({ length: size }, () => {
        const i = seq++;
        const ts = new Date(day + ((i * 104_729) % DAY)).toISOString();
        const identify = i % 20 === 0;
        return {
          tenantId: 'bench',
          messageId: `m-${i}`,
          type: identify ? 'identify' : 'track',
          event: identify ? null : EVENTS[i % EVENTS.length],
          userId: `user-${(i * 7919) % users}`,
          anonymousId: null,
          groupId: null,
          previousId: null,
          timestamp: ts,
          receivedAt: ts,
          properties: identify ? null : { sku: `sku-${i % 50}`, price: (i % 9) + 0.99, currency: 'USD' },
          traits: identify ? { plan: i % 3 ? 'free' : 'pro', company: 'Acme' } : null,
          context: { ip: '203.0.113.7', userAgent: 'bench/1.0' },
        };
      });
    const times: number[] = [];
    const cpu: number[] = [];
    for (let b = 0; b < Number(values.batches); b++) {
      if (values['day-per-batch']) day = first + b * DAY;
      const events = batch();
      const c = process.cpuUsage();
      const s = performance.now();
      const out = await writer.write(events);
      times.push(performance.now() - s);
      const used = process.cpuUsage(c);
      cpu.push(used.user + used.system);
      if (out.inserted !== size) throw new Error(`${out.inserted} of ${size} inserted`);
    }
    // The first batches create every daily row and profile; the steady state is the rest.
    const steady = (xs: number[]) => [...xs.slice(2)].sort((a, b) => a - b);
    const t = steady(times);
    const u = steady(cpu);
    const median = t[t.length >> 1];
    console.log(
      `${values.backend} ${src ?? 'this checkout'}: median batch ${median.toFixed(1)} ms = ${Math.round((size / median) * 1000)} events/s (min ${t[0].toFixed(1)}, max ${t[t.length - 1].toFixed(1)}); CPU ${(u[u.length >> 1] / size).toFixed(1)} µs/event (median batch)`,
    );
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
