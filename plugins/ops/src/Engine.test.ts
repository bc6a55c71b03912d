/**
 * The per-decision lock, on its own: two engines that both believe they lead (a lease lost in the
 * middle of an evaluation, a network split) evaluate the same rule at the same time over one
 * PostgreSQL + Redis — the webhook (an action that is not idempotent) is sent once and one decision is
 * recorded. Real Redis, real PostgreSQL tables (the plugin's migrations), a real webhook receiver.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createSql } from '@aihub/core/plugin-api';
import {
  createDatabase,
  createHttpClient,
  createLogger,
  createMetrics,
  createRedisStore,
  createTestDatabase,
  REDIS_URL,
  type TestDatabase,
} from '@aihub/core/testing';
import { opsConfig } from './config';
import { Engine } from './Engine';
import { EventLog } from './EventLog';
import { createOpsMetrics } from './metrics';
import { opsMigrations } from './migrations';
import { RuleStore } from './RuleStore';
import type { Signals } from './signals/Signals';

describe('two engines that both lead act once', () => {
  let test: TestDatabase;
  let db: Awaited<ReturnType<typeof createDatabase>>;
  let receiver: http.Server;
  const received: string[] = [];
  const prefix = `aihub-test-ops-${process.pid}-${Date.now()}:`;
  const store = createRedisStore({ url: REDIS_URL, prefix });

  before(async () => {
    test = await createTestDatabase('postgres');
    db = await createDatabase({ url: test.url });
    await db.migrateUp([{ owner: 'ops', tablePrefix: 'ops', migrations: opsMigrations }]);
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    await store.deleteByPrefix('');
    await store.close();
    await db.close();
    await test.drop();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('sends the webhook once and records one decision, whatever the interleaving', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const config = opsConfig.parse({
      webhooks: { oncall: { url } },
      rules: [
        {
          name: 'page',
          when: { signal: 'queue_lag', above: 100 },
          action: { type: 'webhook', webhook: 'oncall' },
          cooldownSeconds: 3600,
        },
      ],
    });
    const sql = createSql(db);
    const events = new EventLog(sql, 'ops_events');
    // The signal as the sampler would report it: a lag far above the threshold.
    const signals = {
      reset() {},
      read: async () => [
        { subject: 'usage', value: 5000, samples: null, detail: '5000 usage records not yet written' },
      ],
    } as unknown as Signals;
    const engine = (id: string) => {
      const e = new Engine({
        id,
        config,
        store,
        rules: new RuleStore(sql, 'ops_rules', config.rules),
        signals,
        events,
        metrics: createOpsMetrics(createMetrics({ processMetrics: false }).meterFor('ops')),
        logger: createLogger({ level: 'error', format: 'json', silent: true }),
        http: createHttpClient(),
        ai: () => undefined,
        keys: () => undefined,
      });
      // Split brain: each believes it holds the lease.
      e.lead = async () => true;
      return e;
    };
    const a = engine('gw-a');
    const b = engine('gw-b');
    await Promise.all([a.evaluate(), b.evaluate(), a.evaluate(), b.evaluate()]);
    await Promise.all([a.evaluate(), b.evaluate()]);
    const page0 = await events.list({ limit: 10 });
    assert.equal(received.length, 1, JSON.stringify(page0.data));
    const page = await events.list({ limit: 10 });
    assert.equal(page.data.length, 1);
    assert.equal(page.data[0].outcome, 'acted');
    assert.match(page.data[0].reason, /queue_lag of usage is 5000 \(above 100\)/);
  });
});
