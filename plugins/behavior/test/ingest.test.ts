/**
 * Ingestion (Segment shapes), validation with per-event errors, de-duplication, profiles, PII policy,
 * user deletion and retention, through a real gateway on the embedded default and PostgreSQL + Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import behaviorPlugin, { EVENTS_TOPIC, type StoredEvent } from '../src/index';
import { createBackend, waitFor, type Backend, type BackendKind } from '@aihub/core/testing';
import { asCaller, identityPlugin, testTenancy, type TestHeaders } from '@aihub/core/testing';
import { metricValue, probePlugin } from '@aihub/core/testing';

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`behavior ingestion (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    const probe = probePlugin();
    const tenancy = testTenancy();
    const writer = (h: Partial<TestHeaders> = {}) =>
      asCaller({ tenant: 'tb1', key: 'k-ev', scopes: ['events:write'], ...h });
    const post = (path: string, body: unknown, caller = writer()) =>
      gw.fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...caller },
        body: JSON.stringify(body),
      });
    const q = async <T = Record<string, unknown>>(sql: string) =>
      (await probe.ctx().database.sequelize.query(sql, { type: 'SELECT' })) as T[];
    const count = async (where: string) =>
      Number((await q<{ n: unknown }>(`SELECT COUNT(*) AS n FROM behavior_events WHERE ${where}`))[0].n);

    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [identityPlugin(), tenancy.plugin, behaviorPlugin, probe.plugin],
        pluginConfig: {
          behavior: { consumer: { blockMs: 50 }, retention: { intervalMs: 150 }, ingest: { maxBatchEvents: 100 } },
        },
        config: backend.config,
      });
    });

    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('accepts track, identify and page calls and writes them', async () => {
      const t = await post('/v1/track', {
        userId: 'u1',
        event: 'Signed Up',
        properties: { plan: 'pro' },
        messageId: 'm-1',
      });
      assert.equal(t.status, 200);
      assert.deepEqual(await t.json(), { success: true });
      assert.equal(
        (
          await post('/v1/identify', {
            userId: 'u1',
            traits: { name: 'Ann', plan: 'free' },
            messageId: 'm-2',
            timestamp: '2025-01-01T00:00:00Z',
          })
        ).status,
        200,
      );
      assert.equal(
        (
          await post('/v1/identify', {
            userId: 'u1',
            traits: { plan: 'pro' },
            messageId: 'm-3',
            timestamp: '2025-01-02T00:00:00Z',
          })
        ).status,
        200,
      );
      assert.equal(
        (
          await post('/v1/page', {
            anonymousId: 'a-1',
            name: 'Pricing',
            properties: { path: '/pricing' },
            messageId: 'm-4',
          })
        ).status,
        200,
      );
      await waitFor('events written', async () => (await count("tenant_id = 'tb1'")) === 4);
      const [e] = await q<Record<string, unknown>>("SELECT * FROM behavior_events WHERE message_id = 'm-1'");
      assert.equal(e.type, 'track');
      assert.equal(e.event, 'Signed Up');
      assert.equal(e.user_id, 'u1');
      assert.equal(e.distinct_id, 'u1');
      const props = typeof e.properties === 'string' ? JSON.parse(e.properties) : e.properties;
      assert.deepEqual(props, { plan: 'pro' });
      const [page] = await q<Record<string, unknown>>("SELECT * FROM behavior_events WHERE message_id = 'm-4'");
      assert.equal(page.event, 'Pricing');
      assert.equal(page.distinct_id, 'a-1');
      await waitFor(
        'profile',
        async () => (await q("SELECT * FROM behavior_profiles WHERE user_id = 'u1'")).length === 1,
      );
      const [p] = await q<Record<string, unknown>>("SELECT * FROM behavior_profiles WHERE user_id = 'u1'");
      assert.deepEqual(
        JSON.parse(String(p.traits)),
        { name: 'Ann', plan: 'pro' },
        'traits merged, later identify wins',
      );
      assert.equal(Number(p.event_count), 3);
      assert.equal(
        p.first_seen instanceof Date ? p.first_seen.toISOString() : p.first_seen,
        '2025-01-01T00:00:00.000Z',
      );
    });

    it('requires a key with events:write', async () => {
      assert.equal(
        (
          await gw.fetch('/v1/track', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"userId":"x","event":"e"}',
          })
        ).status,
        401,
      );
      const noScope = await post(
        '/v1/track',
        { userId: 'x', event: 'e' },
        asCaller({ tenant: 'tb1', scopes: ['ai:invoke'] }),
      );
      assert.equal(noScope.status, 403);
      assert.equal(((await noScope.json()) as { error: { code: string } }).error.code, 'insufficient_scope');
    });

    it('rejects invalid single events with every problem listed', async () => {
      const res = await post('/v1/track', { properties: [], timestamp: 'yesterday' });
      assert.equal(res.status, 400);
      const err = (
        (await res.json()) as { error: { code: string; message: string; errors: { path: string; code: string }[] } }
      ).error;
      assert.equal(err.code, 'validation_failed');
      assert.deepEqual(err.errors.map((e) => e.path).sort(), ['event', 'properties', 'timestamp', 'userId']);
      assert.equal((await post('/v1/track', { userId: 'u', event: 'x', type: 'page' })).status, 400);
      const bad = await gw.fetch('/v1/track', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...writer() },
        body: '{"userId": "u",',
      });
      assert.equal(bad.status, 400);
    });

    it('stores well-formed text on both databases: a long page name is cut between characters, a lone surrogate refused', async () => {
      // 199 units, then an emoji (a surrogate pair) across the 200-unit limit: cutting at 200 units
      // would keep its high half alone, which SQLite stored as invalid UTF-8 and PostgreSQL refused
      // (the event dead-lettered); the name is cut before the character instead.
      const name = `${'a'.repeat(199)}\u{1F600} and more`;
      const res = await post('/v1/page', { anonymousId: 'a-wf', name, properties: {}, messageId: 'wf-page' });
      assert.equal(res.status, 200);
      await waitFor('the page view', async () => (await count("message_id = 'wf-page'")) === 1);
      const bytes = kind === 'postgres' ? "convert_to(event, 'UTF8')" : 'CAST(event AS BLOB)';
      const [row] = await q<Record<string, unknown>>(
        `SELECT event, properties, ${bytes} AS bytes FROM behavior_events WHERE message_id = 'wf-page'`,
      );
      assert.equal(row.event, 'a'.repeat(199));
      assert.deepEqual(Buffer.from(row.bytes as Uint8Array), Buffer.from('a'.repeat(199)), 'valid UTF-8 as stored');
      const props = (typeof row.properties === 'string' ? JSON.parse(row.properties) : row.properties) as {
        name: string;
      };
      assert.equal(props.name, 'a'.repeat(199));
      // Sent as such, a lone surrogate is refused with its path (event name, property key or value).
      for (const [body, path] of [
        ['{"userId":"u","event":"Signed \\ud800 Up"}', 'event'],
        ['{"userId":"u","event":"x","properties":{"k\\udfff":1}}', 'properties["k\\udfff"]'],
        ['{"userId":"u","event":"x","properties":{"k":"v\\ud83d"}}', 'properties.k'],
      ]) {
        const r = await gw.fetch('/v1/track', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...writer() },
          body,
        });
        assert.equal(r.status, 400, body);
        const err = ((await r.json()) as { error: { errors: { path: string; code: string }[] } }).error;
        assert.deepEqual(
          err.errors.map((e) => [e.path, e.code]),
          [[path, 'lone_surrogate']],
        );
      }
    });

    it('accepts the valid events of a batch and reports the others by index', async () => {
      const res = await post('/v1/batch', {
        batch: [
          { type: 'track', userId: 'u2', event: 'A', messageId: 'b-0' },
          { type: 'track', event: 'B', messageId: 'b-1' },
          { type: 'identify', userId: 'u2', traits: { role: 'dev' }, messageId: 'b-2' },
          { type: 'teleport', userId: 'u2', messageId: 'b-3' },
          'not an object',
          { type: 'group', userId: 'u2', messageId: 'b-5' },
          { type: 'alias', userId: 'u2', previousId: 'a-9', messageId: 'b-6' },
          { type: 'track', userId: 'u2', event: 'A', messageId: 'b-0' },
        ],
        context: { library: { name: 'analytics-node', version: '6.0.0' } },
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        success: boolean;
        accepted: number;
        rejected: number;
        errors: { index: number; message_id: string | null; path: string; code: string; message: string }[];
      };
      assert.equal(body.success, false);
      assert.equal(body.accepted, 4);
      assert.equal(body.rejected, 4);
      assert.deepEqual(
        body.errors.map((e) => [e.index, e.code]),
        [
          [1, 'missing_identity'],
          [3, 'invalid_type'],
          [4, 'invalid_event'],
          [5, 'missing_group_id'],
        ],
      );
      assert.equal(body.errors[0].message_id, 'b-1');
      await waitFor('batch written', async () => (await count("message_id LIKE 'b-%'")) === 3);
      const [row] = await q<Record<string, unknown>>("SELECT context FROM behavior_events WHERE message_id = 'b-0'");
      const ctx = typeof row.context === 'string' ? JSON.parse(row.context) : row.context;
      assert.equal(ctx.library.name, 'analytics-node', 'batch-level context applies to each event');

      const none = await post('/v1/batch', { batch: [{ type: 'track' }, {}] });
      assert.equal(none.status, 400);
      assert.equal(((await none.json()) as { error: { errors: unknown[] } }).error.errors.length, 4);
      const tooMany = await post('/v1/batch', {
        batch: Array.from({ length: 101 }, (_, i) => ({ type: 'track', userId: 'u', event: 'e', messageId: `x${i}` })),
      });
      assert.equal(tooMany.status, 413);
      const huge = await post('/v1/batch', {
        batch: [{ type: 'track', userId: 'u', event: 'e', properties: { blob: 'x'.repeat(600 * 1024) } }],
      });
      assert.equal(huge.status, 413);
      const bigEvent = await post('/v1/batch', {
        batch: [{ type: 'track', userId: 'u', event: 'e', properties: { blob: 'x'.repeat(40 * 1024) } }],
      });
      assert.equal(bigEvent.status, 400);
      assert.equal((await post('/v1/batch', { events: [] })).status, 400);
    });

    it('drops duplicates by (tenant, messageId), also across requests', async () => {
      const before = await count("message_id = 'dup-1'");
      assert.equal(before, 0);
      for (let i = 0; i < 3; i++)
        assert.equal((await post('/v1/track', { userId: 'u3', event: 'Retry', messageId: 'dup-1' })).status, 200);
      // The same messageId in another tenant is another event.
      assert.equal(
        (await post('/v1/track', { userId: 'u3', event: 'Retry', messageId: 'dup-1' }, writer({ tenant: 'tb2' })))
          .status,
        200,
      );
      // The other tenant's event may land in a later consumer batch than the duplicates: wait for both.
      await waitFor(
        'dups dropped and the other tenant written',
        async () =>
          metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_behavior_duplicates_dropped_total') === 2 &&
          (await count("message_id = 'dup-1' AND tenant_id = 'tb2'")) === 1,
      );
      assert.equal(await count("message_id = 'dup-1' AND tenant_id = 'tb1'"), 1);
      assert.equal(await count("message_id = 'dup-1' AND tenant_id = 'tb2'"), 1);
      const [p] = await q<Record<string, unknown>>(
        "SELECT event_count FROM behavior_profiles WHERE tenant_id = 'tb1' AND user_id = 'u3'",
      );
      assert.equal(Number(p.event_count), 1, 'profiles count each event once');
    });

    it('corrects client clock skew with sentAt (Segment semantics)', async () => {
      const sentAt = new Date(Date.now() + 3_600_000).toISOString(); // the client clock is one hour fast
      const ts = new Date(Date.now() + 3_600_000 - 60_000).toISOString();
      assert.equal(
        (await post('/v1/track', { userId: 'u4', event: 'Skewed', messageId: 'skew-1', timestamp: ts, sentAt })).status,
        200,
      );
      await waitFor('skewed event', async () => (await count("message_id = 'skew-1'")) === 1);
      const [r] = await q<{ timestamp: unknown }>(
        `SELECT "timestamp" FROM behavior_events WHERE message_id = 'skew-1'`,
      );
      const stored = new Date(String(r.timestamp instanceof Date ? r.timestamp.toISOString() : r.timestamp)).getTime();
      assert.ok(Math.abs(stored - (Date.now() - 60_000)) < 5_000, 'about one minute ago in server time');
    });

    it('applies the tenant PII policy before events are queued: hash (HMAC per tenant) or drop', async () => {
      const pii = { hashFields: ['email', 'userId'], dropFields: ['ssn', 'address.street'] };
      const piiCaller = (tenant: string) => writer({ tenant, tenantSettings: { pii } });
      const ev = {
        userId: 'person-1',
        event: 'Checkout',
        properties: {
          email: 'ann@example.com',
          ssn: '123-45-6789',
          address: { street: '1 Main St', city: 'Paris' },
          nested: { email: 'ann@example.com' },
        },
        context: { traits: { email: 'ann@example.com' } },
      };
      assert.equal((await post('/v1/track', { ...ev, messageId: 'pii-1' }, piiCaller('tp1'))).status, 200);
      assert.equal((await post('/v1/track', { ...ev, messageId: 'pii-2' }, piiCaller('tp1'))).status, 200);
      assert.equal((await post('/v1/track', { ...ev, messageId: 'pii-3' }, piiCaller('tp2'))).status, 200);
      await waitFor('pii events', async () => (await count("message_id LIKE 'pii-%'")) === 3);
      const rows = await q<Record<string, unknown>>(
        "SELECT tenant_id, user_id, properties, context FROM behavior_events WHERE message_id LIKE 'pii-%' ORDER BY message_id",
      );
      const parse = (v: unknown) =>
        (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, Record<string, unknown>>;
      const [a, b, c] = rows.map((r) => ({
        user_id: r.user_id,
        properties: parse(r.properties),
        context: parse(r.context),
      }));
      assert.match(String(a.properties.email), /^[0-9a-f]{64}$/);
      assert.equal(a.properties.email, b.properties.email, 'the same value hashes the same within a tenant');
      assert.notEqual(a.properties.email, c.properties.email, 'and differently in another tenant');
      assert.equal(
        (a.properties.nested as unknown as Record<string, unknown>).email,
        a.properties.email,
        'names match at any depth',
      );
      assert.equal(a.context.traits.email, a.properties.email);
      assert.equal('ssn' in a.properties, false);
      assert.deepEqual(a.properties.address, { city: 'Paris' });
      assert.match(String(a.user_id), /^[0-9a-f]{64}$/, 'userId hashed when listed');
      const raw = JSON.stringify(await q('SELECT * FROM behavior_events'));
      assert.ok(
        !raw.includes('ann@example.com') &&
          !raw.includes('123-45-6789') &&
          !raw.includes('1 Main St') &&
          !raw.includes('person-1'),
        'no raw PII stored',
      );
    });

    it('PII policy: fields inside arrays, any casing, and the previousId of an alias are never stored raw', async () => {
      const pii = { hashFields: ['email', 'userId'], dropFields: ['ssn'] };
      const caller = writer({ tenant: 'tp3', tenantSettings: { pii } });
      const props = {
        list: [{ email: 'arr@example.com', ssn: '987-65-4321' }],
        Email: 'cap@example.com',
        EMAIL: 'up@example.com',
        SSN: '111-22-3333',
      };
      assert.equal(
        (
          await post(
            '/v1/track',
            { userId: 'person-9', event: 'Checkout', properties: props, messageId: 'pii2-1' },
            caller,
          )
        ).status,
        200,
      );
      assert.equal(
        (
          await post(
            '/v1/identify',
            { userId: 'person-9', traits: { Contacts: [{ EMAIL: 'trait@example.com' }] }, messageId: 'pii2-2' },
            caller,
          )
        ).status,
        200,
      );
      assert.equal(
        (await post('/v1/alias', { userId: 'person-9', previousId: 'old-person-9', messageId: 'pii2-3' }, caller))
          .status,
        200,
      );
      await waitFor('pii2 events', async () => (await count("message_id LIKE 'pii2-%'")) === 3);
      const rows = await q<Record<string, unknown>>(
        "SELECT * FROM behavior_events WHERE message_id LIKE 'pii2-%' ORDER BY message_id",
      );
      const raw =
        JSON.stringify(rows) + JSON.stringify(await q("SELECT * FROM behavior_profiles WHERE tenant_id = 'tp3'"));
      for (const secret of [
        'arr@example.com',
        'cap@example.com',
        'up@example.com',
        'trait@example.com',
        '987-65-4321',
        '111-22-3333',
        'old-person-9',
        'person-9',
      ]) {
        assert.ok(!raw.includes(secret), `${secret} stored raw`);
      }
      const alias = rows.find((r) => r.message_id === 'pii2-3')!;
      assert.match(String(alias.previous_id), /^[0-9a-f]{64}$/);
      const props1 = rows[0].properties;
      const p = (typeof props1 === 'string' ? JSON.parse(props1) : props1) as Record<string, unknown>;
      assert.deepEqual(Object.keys((p.list as object[])[0]), ['email'], 'ssn dropped inside the array');
      assert.match(String(p.Email), /^[0-9a-f]{64}$/);
    });

    it('deletes a user’s events and profile, audited, and drops their events still in the queue', async () => {
      const admin = asCaller({ tenant: 'tb1', role: 'admin', user: 'adm' });
      assert.equal(
        (await post('/v1/track', { userId: 'gone', anonymousId: 'anon-gone', event: 'Visit', messageId: 'g-1' }))
          .status,
        200,
      );
      assert.equal(
        (await post('/v1/page', { anonymousId: 'anon-gone', name: 'Before login', messageId: 'g-0' })).status,
        200,
      );
      await waitFor('user events', async () => (await count("message_id LIKE 'g-%'")) === 2);
      const dev = await gw.fetch('/admin/v1/tenants/tb1/analytics/users/gone', {
        method: 'DELETE',
        headers: asCaller({ tenant: 'tb1', role: 'developer' }),
      });
      assert.equal(dev.status, 403);
      const other = await gw.fetch('/admin/v1/tenants/tb1/analytics/users/gone', {
        method: 'DELETE',
        headers: asCaller({ tenant: 'tb9', role: 'owner' }),
      });
      assert.equal(other.status, 404);
      const res = await gw.fetch('/admin/v1/tenants/tb1/analytics/users/gone', { method: 'DELETE', headers: admin });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { deleted_events: number; deleted_profile: boolean };
      assert.deepEqual([body.deleted_events, body.deleted_profile], [2, true], 'the linked anonymous page view too');
      assert.equal(await count("message_id LIKE 'g-%'"), 0);
      assert.equal(tenancy.audit.at(-1)?.action, 'analytics.user.delete');
      assert.equal(tenancy.audit.at(-1)?.targetId, 'gone');
      // An event sent before the deletion but still in the queue is dropped when it arrives.
      const late: StoredEvent = {
        tenantId: 'tb1',
        messageId: 'g-late',
        type: 'track',
        event: 'Late',
        userId: 'gone',
        anonymousId: null,
        groupId: null,
        previousId: null,
        timestamp: new Date(Date.now() - 5000).toISOString(),
        receivedAt: new Date(Date.now() - 5000).toISOString(),
        properties: null,
        traits: null,
        context: null,
      };
      await probe.ctx().queue.publishNow(EVENTS_TOPIC, [late]);
      await waitFor(
        'dropped late event',
        async () =>
          metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_behavior_deleted_user_events_dropped_total') ===
          1,
      );
      assert.equal(await count("message_id = 'g-late'"), 0);
      // New activity after the deletion is a new history.
      assert.equal((await post('/v1/track', { userId: 'gone', event: 'Back', messageId: 'g-2' })).status, 200);
      await waitFor('new event', async () => (await count("message_id = 'g-2'")) === 1);
      assert.equal((await gw.fetch('/admin/v1/tenants/tb1/analytics/users/nobody', { headers: admin })).status, 404);
    });

    it('finds and deletes a user whose id is stored hashed, given the raw id or the stored one', async () => {
      const pii = { hashFields: ['userId'] };
      const hw = writer({ tenant: 'th1', tenantSettings: { pii } });
      const admin = asCaller({ tenant: 'th1', role: 'admin', user: 'adm' });
      const dev = asCaller({ tenant: 'th1', role: 'developer' });
      for (const [i, who] of ['person-1', 'person-1', 'person-2', 'person-2', 'person-2'].entries()) {
        assert.equal((await post('/v1/track', { userId: who, event: 'Visit', messageId: `h-${i}` }, hw)).status, 200);
      }
      await waitFor('hashed events', async () => (await count("message_id LIKE 'h-%'")) === 5);
      const stored = await q<{ user_id: string }>(
        "SELECT DISTINCT user_id FROM behavior_events WHERE message_id LIKE 'h-%'",
      );
      assert.ok(
        stored.every((r) => /^[0-9a-f]{64}$/.test(r.user_id)),
        'ids are stored hashed',
      );
      const [h2] = await q<{ user_id: string }>("SELECT user_id FROM behavior_events WHERE message_id = 'h-2'");
      // Reading: the raw id and the stored (hashed) one find the same user; the answer shows the stored id.
      const byRaw = await gw.fetch('/admin/v1/tenants/th1/analytics/users/person-2', { headers: dev });
      assert.equal(byRaw.status, 200);
      const byHash = await gw.fetch(`/admin/v1/tenants/th1/analytics/users/${h2.user_id}`, { headers: dev });
      assert.equal(byHash.status, 200);
      const [a, b] = [
        (await byRaw.json()) as { user_id: string; recent_events: unknown[] },
        (await byHash.json()) as { user_id: string; recent_events: unknown[] },
      ];
      assert.equal(a.user_id, h2.user_id);
      assert.deepEqual(a, b);
      assert.equal(a.recent_events.length, 3);
      // Counts and sessions filtered by user take the raw id too.
      const counted = (await (
        await gw.fetch('/admin/v1/tenants/th1/analytics/events?user_id=person-2', { headers: dev })
      ).json()) as { total: number };
      assert.equal(counted.total, 3);
      const sessions = (await (
        await gw.fetch(`/admin/v1/tenants/th1/analytics/sessions?user_id=person-2`, { headers: dev })
      ).json()) as { users: number; user_sessions: unknown[] };
      assert.equal(sessions.users, 1);
      assert.equal(sessions.user_sessions.length, 1);
      // Deleting by the raw id erases the hashed rows, and the audit names the stored id, not the raw one.
      const raw = await gw.fetch('/admin/v1/tenants/th1/analytics/users/person-1', {
        method: 'DELETE',
        headers: admin,
      });
      assert.equal(raw.status, 200);
      const rawBody = (await raw.json()) as { user_id: string; deleted_events: number; deleted_profile: boolean };
      assert.deepEqual([rawBody.deleted_events, rawBody.deleted_profile], [2, true]);
      assert.match(rawBody.user_id, /^[0-9a-f]{64}$/);
      assert.equal(await count("message_id IN ('h-0', 'h-1')"), 0);
      assert.equal(tenancy.audit.at(-1)?.targetId, rawBody.user_id);
      assert.ok(!JSON.stringify(tenancy.audit.at(-1)).includes('person-1'), 'the raw id is not in the audit');
      // Deleting by the stored id as the console shows it.
      const hashed = await gw.fetch(`/admin/v1/tenants/th1/analytics/users/${h2.user_id}`, {
        method: 'DELETE',
        headers: admin,
      });
      assert.equal(hashed.status, 200);
      assert.equal(((await hashed.json()) as { deleted_events: number }).deleted_events, 3);
      assert.equal(await count("message_id LIKE 'h-%'"), 0);
      assert.equal((await gw.fetch('/admin/v1/tenants/th1/analytics/users/person-2', { headers: dev })).status, 404);
      // A hashed event of the deleted user still in the queue is dropped on arrival (the tombstone is the stored form).
      const late: StoredEvent = {
        tenantId: 'th1',
        messageId: 'h-late',
        type: 'track',
        event: 'Late',
        userId: h2.user_id,
        anonymousId: null,
        groupId: null,
        previousId: null,
        timestamp: new Date(Date.now() - 5000).toISOString(),
        receivedAt: new Date(Date.now() - 5000).toISOString(),
        properties: null,
        traits: null,
        context: null,
      };
      const dropped =
        metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_behavior_deleted_user_events_dropped_total') ?? 0;
      await probe.ctx().queue.publishNow(EVENTS_TOPIC, [late]);
      await waitFor(
        'dropped late hashed event',
        async () =>
          (metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_behavior_deleted_user_events_dropped_total') ??
            0) ===
          dropped + 1,
      );
      assert.equal(await count("message_id = 'h-late'"), 0);
      // Unknown query parameters on the deletion are refused, naming the parameter.
      const bad = await gw.fetch('/admin/v1/tenants/th1/analytics/users/person-2?force=1', {
        method: 'DELETE',
        headers: admin,
      });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { param: string }).param, 'force');
    });

    it('deletes events past the tenant’s retention on schedule', async () => {
      tenancy.tenants.set('tr', {
        id: 'tr',
        slug: 'tr',
        name: 'tr',
        status: 'active',
        plan: 'x',
        settings: { retentionDays: 30 },
      });
      const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
      const recent = new Date(Date.now() - 10 * 86_400_000).toISOString();
      const res = await post(
        '/v1/batch',
        {
          batch: [
            { type: 'track', userId: 'r1', event: 'Old', timestamp: old, messageId: 'r-old' },
            { type: 'track', userId: 'r1', event: 'Recent', timestamp: recent, messageId: 'r-new' },
          ],
        },
        writer({ tenant: 'tr' }),
      );
      assert.equal(res.status, 200);
      // The job counts a deletion when PostgreSQL's reply arrives, a moment after other connections
      // already see the row gone: wait for the count too before asserting on it.
      const deletedTotal = async () =>
        metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_behavior_retention_deleted_total');
      await waitFor(
        'old event deleted by the job',
        async () =>
          (await count("message_id = 'r-old'")) === 0 &&
          (await count("message_id = 'r-new'")) === 1 &&
          (await deletedTotal()) >= 1,
        10_000,
      );
      assert.ok((await deletedTotal()) >= 1);
      assert.equal(
        await count("tenant_id = 'tb1' AND message_id = 'm-2'"),
        1,
        'tenants without retention keep everything',
      );
    });
  });
}
