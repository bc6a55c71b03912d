/**
 * Poison messages (issue 13, finding 3): on PostgreSQL one tenant's event the database refuses (NUL,
 * lone surrogate) used to fail the whole consumer batch forever, with every other tenant's events in
 * it. Now the batch is split by tenant and bisected, the bad event is dead-lettered, everything else
 * lands and the lag returns to 0 — on both queues (Redis Streams and the database outbox). Ingest
 * refuses such values up front with the field's path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDatabase } from '@aihub/core/testing';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import behaviorPlugin, { EVENTS_TOPIC, type StoredEvent } from '../src/index';
import { createBackend, waitFor, type Backend } from '@aihub/core/testing';
import { asCaller, identityPlugin, testTenancy } from '@aihub/core/testing';
import { metricValue, probePlugin } from '@aihub/core/testing';
// The usage plugin's cuttable TCP proxy: only this gateway loses PostgreSQL, the shared server runs on.
import { startTcpProxy } from '../../usage/test/helpers/tcpProxy';

type ErrorBody = {
  error: { code: string; param: string | null; errors: { index: number; path: string; code: string }[] };
};

function event(tenantId: string, messageId: string, over: Partial<StoredEvent> = {}): StoredEvent {
  const now = new Date().toISOString();
  return {
    tenantId,
    messageId,
    type: 'track',
    event: 'Viewed',
    userId: `u-${messageId}`,
    anonymousId: null,
    groupId: null,
    previousId: null,
    timestamp: now,
    receivedAt: now,
    properties: { n: 1 },
    traits: null,
    context: null,
    ...over,
  };
}

for (const queue of ['redis', 'database'] as const) {
  describe(`behavior poison messages (PostgreSQL, ${queue} queue)`, () => {
    let backend: Backend;
    let gw: TestGateway;
    const probe = probePlugin();
    const tenancy = testTenancy();
    const q = async <T = Record<string, unknown>>(sql: string) =>
      (await probe.ctx().database.sequelize.query(sql, { type: 'SELECT' })) as T[];
    const count = async (where: string) =>
      Number((await q<{ n: unknown }>(`SELECT COUNT(*) AS n FROM behavior_events WHERE ${where}`))[0].n);
    const deadLetters = (where = 'TRUE') =>
      q<Record<string, unknown>>(
        `SELECT * FROM aihub_dead_letters WHERE topic = '${EVENTS_TOPIC}' AND ${where} ORDER BY message_id`,
      );
    const post = (
      path: string,
      body: string | unknown,
      caller = asCaller({ tenant: 'tp-a', key: 'k-a', scopes: ['events:write'] }),
    ) =>
      gw.fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...caller },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });

    before(async () => {
      backend = await createBackend('postgres');
      gw = await startTestGateway({
        plugins: [identityPlugin(), tenancy.plugin, behaviorPlugin, probe.plugin],
        // claimIdleMs far beyond the test: nothing here may depend on a batch being redelivered.
        pluginConfig: { behavior: { consumer: { blockMs: 50, batchSize: 100, claimIdleMs: 600_000 } } },
        config: { ...backend.config, queue: { flushIntervalMs: 5, driver: queue } },
      });
    });

    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it("one tenant's unstorable events never hold back another tenant's: they are dead-lettered and the lag returns to 0", async () => {
      const good = Array.from({ length: 184 }, (_, i) => event('tp-b', `b-${String(i).padStart(3, '0')}`));
      const bad = [
        event('tp-a', 'a-nul-name', { event: 'Signed\u0000Up' }),
        event('tp-a', 'a-nul-prop', { properties: { nested: { list: ['ok', 'x\u0000y'] } } }),
        event('tp-a', 'a-surrogate', { properties: { s: 'broken \ud800 text' } }),
      ];
      const aGood = [event('tp-a', 'a-ok-1'), event('tp-a', 'a-ok-2')];
      // Straight into the queue (ingest would refuse them now), interleaved so each batch mixes tenants.
      const mixed: StoredEvent[] = [];
      for (let i = 0; i < good.length; i++) {
        mixed.push(good[i]);
        if (i % 40 === 5 && bad.length) mixed.push(bad.shift()!);
        if (i % 90 === 7 && aGood.length) mixed.push(aGood.shift()!);
      }
      mixed.push(...bad, ...aGood);
      await probe.ctx().queue.publishNow(EVENTS_TOPIC, mixed);

      await waitFor("every one of tenant B's events", async () => (await count("tenant_id = 'tp-b'")) === 184, 20_000);
      await waitFor("tenant A's good events", async () => (await count("tenant_id = 'tp-a'")) === 2);
      await waitFor('lag back to 0', async () => (await probe.ctx().queue.lag(EVENTS_TOPIC, 'behavior')) === 0);
      const dead = await deadLetters();
      assert.deepEqual(
        dead.map((d) => d.tenant_id),
        ['tp-a', 'tp-a', 'tp-a'],
      );
      assert.deepEqual(dead.map((d) => (JSON.parse(String(d.payload)) as StoredEvent).messageId).sort(), [
        'a-nul-name',
        'a-nul-prop',
        'a-surrogate',
      ]);
      assert.deepEqual(
        dead.map((d) => d.reason),
        ['invalid_text', 'invalid_text', 'invalid_text'],
      );
      // The payload is kept exactly (JSON escapes make it storable), so it can be replayed.
      const nulName = dead.find((d) => String(d.payload).includes('a-nul-name'))!;
      assert.equal((JSON.parse(String(nulName.payload)) as StoredEvent).event, 'Signed\u0000Up');
      const metrics = await (await gw.fetch('/metrics')).text();
      assert.equal(
        metricValue(metrics, 'aihub_queue_dead_letters_total', { stream: EVENTS_TOPIC, reason: 'invalid_text' }),
        3,
      );
    });

    it('lists dead letters to platform superadmins only, and replays one with the bad characters replaced', async () => {
      const path = `/admin/v1/queues/${EVENTS_TOPIC}/dead-letters`;
      assert.equal((await gw.fetch(path)).status, 401);
      const tenantAdmin = await gw.fetch(path, { headers: asCaller({ tenant: 'tp-a', key: 'k-adm', role: 'owner' }) });
      assert.equal(tenantAdmin.status, 403);
      assert.match(tenantAdmin.headers.get('content-type') ?? '', /problem\+json/);
      const admin = asCaller({ superadmin: true, key: 'k-root' });
      const list = await gw.fetch(`${path}?tenant_id=tp-a`, { headers: admin });
      assert.equal(list.status, 200);
      const body = (await list.json()) as {
        data: { id: string; tenant_id: string; reason: string; payload: StoredEvent }[];
      };
      assert.equal(body.data.length, 3);
      const target = body.data.find((d) => d.payload.messageId === 'a-nul-name')!;
      assert.equal(target.payload.event, 'Signed\u0000Up');
      assert.equal(
        ((await gw.fetch(`${path}?tenant_id=tp-b`, { headers: admin }).then((r) => r.json())) as { data: unknown[] })
          .data.length,
        0,
      );

      const replay = await gw.fetch(`${path}/${target.id}/replay`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ sanitize: true }),
      });
      assert.equal(replay.status, 200);
      assert.deepEqual(((await replay.json()) as { replaced_paths: string[] }).replaced_paths, ['event']);
      await waitFor('replayed event written', async () => (await count("message_id = 'a-nul-name'")) === 1);
      const [row] = await q<{ event: string }>("SELECT event FROM behavior_events WHERE message_id = 'a-nul-name'");
      assert.equal(row.event, 'Signed\uFFFDUp');
      const after = (await gw.fetch(path, { headers: admin }).then((r) => r.json())) as { data: unknown[] };
      assert.equal(after.data.length, 2, 'a replayed dead letter leaves the default listing');
      const missing = await gw.fetch(`${path}/00000000-0000-4000-8000-000000000000/replay`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { code: string }).code, 'dead_letter_not_found');
    });

    it('refuses at ingest, with the JSON path, what the database cannot store', async () => {
      const cases: [string, string, string, string][] = [
        ['/v1/track', JSON.stringify({ userId: 'u', event: 'A\u0000B' }), 'event', 'nul_character'],
        [
          '/v1/track',
          JSON.stringify({ userId: 'u', event: 'e', properties: { items: [{ name: 'x\u0000' }] } }),
          'properties.items[0].name',
          'nul_character',
        ],
        [
          '/v1/track',
          JSON.stringify({ userId: 'u', event: 'e', properties: { 'bad\u0000key': 1 } }),
          'properties["bad\\u0000key"]',
          'nul_character',
        ],
        ['/v1/identify', '{"userId":"u","traits":{"name":"\\ud800"}}', 'traits.name', 'lone_surrogate'],
        ['/v1/page', '{"anonymousId":"a","properties":{"big":1e400}}', 'properties.big', 'non_finite_number'],
        ['/v1/identify', JSON.stringify({ userId: 'u\u0000v' }), 'userId', 'nul_character'],
        ['/v1/group', JSON.stringify({ userId: 'u', groupId: 'g'.repeat(201) }), 'groupId', 'invalid_group_id'],
        [
          '/v1/alias',
          JSON.stringify({ userId: 'u', previousId: 'p'.repeat(201) }),
          'previousId',
          'invalid_previous_id',
        ],
      ];
      for (const [path, body, param, code] of cases) {
        const res = await post(path, body);
        assert.equal(res.status, 400, `${path} ${body}`);
        const err = ((await res.json()) as ErrorBody).error;
        assert.equal(err.code, 'validation_failed');
        assert.equal(err.param, param, body);
        assert.ok(
          err.errors.some((e) => e.path === param && e.code === code),
          `${body}: ${JSON.stringify(err.errors)}`,
        );
      }
    });

    it('refuses only the unstorable events of a batch, and the whole batch when its shared context is unstorable', async () => {
      const res = await post('/v1/batch', {
        batch: [
          { type: 'track', userId: 'u', event: 'fine', messageId: 'bt-ok' },
          { type: 'track', userId: 'u', event: 'e', messageId: 'bt-bad', properties: { a: 'x\u0000' } },
        ],
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        accepted: number;
        rejected: number;
        errors: { index: number; path: string; code: string }[];
      };
      assert.equal(body.accepted, 1);
      assert.deepEqual(
        body.errors.map((e) => [e.index, e.path, e.code]),
        [[1, 'properties.a', 'nul_character']],
      );
      await waitFor('the valid event of the batch', async () => (await count("message_id = 'bt-ok'")) === 1);
      assert.equal(await count("message_id = 'bt-bad'"), 0);

      const shared = await post('/v1/batch', {
        batch: [{ type: 'track', userId: 'u', event: 'e' }],
        context: { page: { title: 'a\u0000' } },
      });
      assert.equal(shared.status, 400);
      assert.equal(((await shared.json()) as ErrorBody).error.param, 'context.page.title');
    });
  });
}

describe('behavior consumer while PostgreSQL is unreachable (Redis queue)', () => {
  let backend: Backend;

  before(async () => {
    backend = await createBackend('postgres');
  });

  after(async () => {
    await backend?.cleanup();
  });

  it('retries with backoff and dead-letters nothing; every event lands once the database is back', async () => {
    const direct = createDatabase({ url: backend.databaseUrl });
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(backend.databaseUrl).port || 5432));
    const proxied = new URL(backend.databaseUrl);
    proxied.port = String(proxy.port);
    const probe = probePlugin();
    const gw = await startTestGateway({
      plugins: [identityPlugin(), behaviorPlugin, probe.plugin],
      pluginConfig: {
        behavior: { consumer: { blockMs: 50, claimIdleMs: 600_000, retryInitialMs: 100, retryMaxMs: 400 } },
      },
      config: { ...backend.config, database: { url: proxied.toString(), poolMax: 5 } },
    });
    const count = async (sql: string) =>
      Number(((await direct.sequelize.query(sql, { type: 'SELECT' })) as { n: unknown }[])[0].n);
    try {
      proxy.cut();
      await probe.ctx().queue.publishNow(
        EVENTS_TOPIC,
        Array.from({ length: 50 }, (_, i) => event(i % 2 ? 'to-a' : 'to-b', `o-${i}`)),
      );
      await waitFor(
        'retries while the database is away',
        async () =>
          metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_behavior_batches_total', {
            outcome: 'retry',
          }) >= 3,
        10_000,
      );
      proxy.restore();
      await waitFor(
        'all events land',
        async () => (await count("SELECT COUNT(*) AS n FROM behavior_events WHERE message_id LIKE 'o-%'")) === 50,
        20_000,
      );
      await waitFor('lag back to 0', async () => (await probe.ctx().queue.lag(EVENTS_TOPIC, 'behavior')) === 0);
      assert.equal(
        await count('SELECT COUNT(*) AS n FROM aihub_dead_letters'),
        0,
        'an outage is never a reason to dead-letter',
      );
    } finally {
      proxy.restore();
      await gw.stop();
      await proxy.close();
      await direct.close();
    }
  });
});
