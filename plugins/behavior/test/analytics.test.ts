/**
 * Analytics answers on a fixed data set, the same on the embedded default and on PostgreSQL: counts
 * over time with filters, funnels, retention cohorts, sessions, profiles, top events and properties.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import behaviorPlugin from '../src/index';
import { createBackend, waitFor, type Backend, type BackendKind } from '@aihub/core/testing';
import { asCaller, identityPlugin } from '@aihub/core/testing';
import { probePlugin } from '@aihub/core/testing';

type Ev = Record<string, unknown>;
let seq = 0;
const track = (who: Ev, event: string, timestamp: string, properties?: Ev): Ev => ({
  type: 'track',
  ...who,
  event,
  timestamp,
  properties,
  messageId: `a-${seq++}`,
});
const u = (id: string) => ({ userId: id });

/** March 2024; 2024-03-04 and 2024-03-11 are Mondays. */
const DATA: Ev[] = [
  {
    type: 'identify',
    userId: 'u1',
    traits: { name: 'Ann', plan: 'free' },
    timestamp: '2024-03-04T09:59:00Z',
    messageId: 'id-1',
  },
  track(u('u1'), 'signup', '2024-03-04T10:00:00Z', { plan: 'free', source: 'ads' }),
  track(u('u1'), 'activate', '2024-03-04T10:05:00Z'),
  track(u('u1'), 'purchase', '2024-03-04T10:30:00Z', { amount: 30, gift: true }),
  { type: 'identify', userId: 'u1', traits: { plan: 'pro' }, timestamp: '2024-03-11T09:05:00Z', messageId: 'id-2' },
  {
    type: 'page',
    userId: 'u1',
    name: 'Home',
    timestamp: '2024-03-11T09:00:00Z',
    messageId: 'pg-1',
    properties: { path: '/' },
  },
  track(u('u1'), 'login', '2024-03-11T09:10:00Z'),
  track(u('u2'), 'signup', '2024-03-04T11:00:00Z', { plan: 'free', source: 'seo' }),
  track(u('u2'), 'activate', '2024-03-12T11:00:00Z'),
  track(u('u2'), 'purchase', '2024-03-12T12:00:00Z', { amount: 10, gift: false }),
  track(u('u3'), 'signup', '2024-03-05T08:00:00Z', { plan: 'pro', source: 'ads' }),
  track(u('u3'), 'purchase', '2024-03-05T08:10:00Z', { amount: 5 }),
  track(u('u3'), 'activate', '2024-03-05T08:20:00Z'),
  track(u('u3'), 'purchase', '2024-03-05T08:30:00Z', { amount: 5 }),
  track(u('u4'), 'activate', '2024-03-05T09:00:00Z'),
  track({ anonymousId: 'anon5' }, 'signup', '2024-03-06T10:00:00Z', { plan: 'free', source: 'ads' }),
  track({ anonymousId: 'anon5' }, 'login', '2024-03-06T10:20:00Z'),
  track({ anonymousId: 'anon5' }, 'login', '2024-03-06T11:00:00Z'),
];

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`behavior analytics (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    const probe = probePlugin();
    const viewer = asCaller({ tenant: 'ta', role: 'developer' });
    const get = async <T = Record<string, unknown>>(path: string, status = 200, caller = viewer): Promise<T> => {
      const res = await gw.fetch(`/admin/v1/tenants/ta/analytics/${path}`, { headers: caller });
      assert.equal(res.status, status, `${path}: ${await res.clone().text()}`);
      return (await res.json()) as T;
    };
    const M = 'from=2024-03-01&to=2024-03-31';

    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [identityPlugin(), behaviorPlugin, probe.plugin],
        pluginConfig: { behavior: { consumer: { blockMs: 50 } } },
        config: backend.config,
      });
      const res = await gw.fetch('/v1/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...asCaller({ tenant: 'ta', scopes: ['events:write'] }) },
        body: JSON.stringify({ batch: DATA }),
      });
      assert.equal(res.status, 200);
      // Another tenant's events must never show up.
      await gw.fetch('/v1/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...asCaller({ tenant: 'tz', scopes: ['events:write'] }) },
        body: JSON.stringify({ batch: DATA.map((e) => ({ ...e, messageId: `z-${String(e.messageId)}` })) }),
      });
      await waitFor('data set written', async () => {
        const r = (await probe
          .ctx()
          .database.sequelize.query('SELECT COUNT(*) AS n FROM behavior_events', { type: 'SELECT' })) as {
          n: unknown;
        }[];
        return Number(r[0].n) === 2 * DATA.length;
      });
    });

    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('counts events over time with filters, zero-filled', async () => {
      const days = await get<{
        total: number;
        users: number;
        series: { bucket: string; count: number; users: number }[];
      }>(`events?from=2024-03-04&to=2024-03-07&event=signup`);
      assert.equal(days.total, 4);
      assert.deepEqual(
        days.series.map((s) => [s.bucket, s.count]),
        [
          ['2024-03-04', 2],
          ['2024-03-05', 1],
          ['2024-03-06', 1],
          ['2024-03-07', 0],
        ],
      );
      const weeks = await get<{ series: { bucket: string; count: number; users: number }[] }>(
        `events?${M}&interval=week`,
      );
      assert.deepEqual(
        weeks.series.map((s) => [s.bucket, s.count, s.users]),
        [
          ['2024-02-26', 0, 0],
          ['2024-03-04', 13, 5],
          ['2024-03-11', 5, 2],
          ['2024-03-18', 0, 0],
          ['2024-03-25', 0, 0],
        ],
      );
      const hours = await get<{ series: { bucket: string; count: number }[] }>(
        `events?from=2024-03-05T08:00:00Z&to=2024-03-05T10:00:00Z&interval=hour`,
      );
      assert.deepEqual(
        hours.series.map((s) => [s.bucket, s.count]),
        [
          ['2024-03-05T08:00:00Z', 4],
          ['2024-03-05T09:00:00Z', 1],
        ],
      );
      const month = await get<{ series: { bucket: string; count: number }[] }>(`events?${M}&interval=month&type=track`);
      assert.deepEqual(month.series, [{ bucket: '2024-03', count: 15, users: 5 }]);
      const pro = await get<{ total: number }>(`events?${M}&property.plan=pro`);
      assert.equal(pro.total, 1);
      const gifts = await get<{ total: number }>(`events?${M}&event=purchase&property.gift=true`);
      assert.equal(gifts.total, 1, 'booleans compare as true/false text on both databases');
      const amount = await get<{ total: number }>(`events?${M}&property.amount=5`);
      assert.equal(amount.total, 2);
      const byEvent = await get<{ events: { event: string; total: number }[] }>(
        `events?${M}&group_by=event&interval=month&type=track`,
      );
      assert.deepEqual(byEvent.events.map((e) => [e.event, e.total]).sort(), [
        ['activate', 4],
        ['login', 3],
        ['purchase', 4],
        ['signup', 4],
      ]);
      const one = await get<{ total: number }>(`events?${M}&user_id=u3`);
      assert.equal(one.total, 4);
      await get(`events?${M}&property.bad'name=1`, 400);
      await get('events?from=yesterday', 400);
      await get('events?from=2024-01-01&to=2026-01-01', 400);
    });

    it('computes funnels: ordered steps within the window, conversion per step', async () => {
      type F = {
        steps: {
          step: number;
          event: string;
          users: number;
          conversion_from_previous: number;
          conversion_from_start: number;
          median_time_from_previous_ms: number | null;
        }[];
      };
      const f = await get<F>(`funnels?${M}&steps=signup,activate,purchase&window=7d`);
      assert.deepEqual(
        f.steps.map((s) => s.users),
        [4, 2, 2],
        'u2 activated after the 7-day window; u4 never signed up',
      );
      assert.deepEqual(
        f.steps.map((s) => s.conversion_from_previous),
        [1, 0.5, 1],
      );
      assert.equal(f.steps[2].conversion_from_start, 0.5);
      assert.equal(f.steps[1].median_time_from_previous_ms, Math.round((5 * 60_000 + 20 * 60_000) / 2));
      const wide = await get<F>(`funnels?${M}&step=signup&step=activate&step=purchase&window=10d`);
      assert.deepEqual(
        wide.steps.map((s) => s.users),
        [4, 3, 3],
      );
      const strict = await get<F>(`funnels?${M}&steps=signup,purchase,activate&window=1h`);
      assert.deepEqual(
        strict.steps.map((s) => s.users),
        [4, 2, 1],
        'u3 purchased then activated; u1 activated before purchase',
      );
      await get(`funnels?${M}&steps=signup`, 400);
      await get(`funnels?${M}&steps=a,b&window=forever`, 400);
    });

    it('builds retention cohorts', async () => {
      type R = {
        cohorts: { cohort: string; users: number; retention: { period: number; users: number; rate: number }[] }[];
      };
      const r = await get<R>('retention?from=2024-03-04&to=2024-03-10&interval=week&periods=3');
      assert.equal(r.cohorts.length, 1);
      assert.equal(r.cohorts[0].cohort, '2024-03-04');
      assert.equal(r.cohorts[0].users, 5);
      assert.deepEqual(
        r.cohorts[0].retention.map((x) => [x.period, x.users, x.rate]),
        [
          [0, 5, 1],
          [1, 2, 0.4],
          [2, 0, 0],
        ],
      );
      const signups = await get<R>(
        'retention?from=2024-03-04&to=2024-03-10&interval=day&periods=8&start_event=signup&return_event=login',
      );
      assert.deepEqual(
        signups.cohorts.map((c) => [c.cohort, c.users]),
        [
          ['2024-03-04', 2],
          ['2024-03-05', 1],
          ['2024-03-06', 1],
        ],
      );
      const mar4 = signups.cohorts[0].retention;
      assert.equal(mar4.find((x) => x.period === 7)!.users, 1, 'u1 logged in 7 days after signing up');
      const mar6 = signups.cohorts[2].retention;
      assert.equal(mar6[0].users, 1);
      assert.equal(
        mar6.slice(1).reduce((a, x) => a + x.users, 0),
        0,
        'a login the same day is period 0',
      );
    });

    it('reads cohorts and returns in one pass when they are the same events, with the same answer', async () => {
      // A range ending at UTC midnight with one event for both reads the active days once; a range
      // ending a millisecond earlier (no event at that instant) takes the two-read path: equal answers.
      for (const q of [
        'interval=week&periods=3',
        'interval=day&periods=8',
        'interval=day&periods=4&start_event=login&return_event=login',
        'interval=month&periods=2',
      ]) {
        for (const from of ['2024-03-04', '2024-03-05T12:00:00Z']) {
          const one = await get(`retention?from=${from}&to=2024-03-10&${q}`);
          const two = await get(`retention?from=${from}&to=2024-03-10T23:59:59.999Z&${q}`);
          assert.deepEqual(one, { ...(two as object), to: (one as { to: unknown }).to }, `${from} ${q}`);
        }
      }
    });

    it('splits sessions by inactivity', async () => {
      type S = {
        sessions: number;
        users: number;
        bounce_rate: number;
        avg_events_per_session: number;
        by_day: { day: string; sessions: number }[];
        user_sessions?: { start: string; events: number; duration_ms: number }[];
      };
      const s = await get<S>(`sessions?${M}`);
      assert.equal(s.sessions, 9);
      assert.equal(s.users, 5);
      assert.equal(s.bounce_rate, Math.round((5 / 9) * 10_000) / 10_000);
      assert.equal(s.avg_events_per_session, 2);
      const longer = await get<S>(`sessions?${M}&inactivity=90m`);
      assert.equal(longer.sessions, 7);
      const one = await get<S>(`sessions?${M}&user_id=u1`);
      assert.equal(one.sessions, 2);
      assert.deepEqual(
        one.user_sessions!.map((x) => [x.start, x.events, x.duration_ms]),
        [
          ['2024-03-11T09:00:00.000Z', 3, 10 * 60_000],
          ['2024-03-04T09:59:00.000Z', 4, 31 * 60_000],
        ],
      );
    });

    it('shows a user’s profile with merged traits and recent events', async () => {
      type P = {
        traits: Record<string, unknown>;
        first_seen: string;
        last_seen: string;
        event_count: number;
        recent_events: { type: string; event: string | null; timestamp: string }[];
      };
      const p = await get<P>('users/u1?limit=3');
      assert.deepEqual(p.traits, { name: 'Ann', plan: 'pro' });
      assert.equal(p.first_seen, '2024-03-04T09:59:00.000Z');
      assert.equal(p.last_seen, '2024-03-11T09:10:00.000Z');
      assert.equal(p.event_count, 7);
      assert.deepEqual(
        p.recent_events.map((e) => [e.type, e.event, e.timestamp]),
        [
          ['track', 'login', '2024-03-11T09:10:00.000Z'],
          ['identify', null, '2024-03-11T09:05:00.000Z'],
          ['page', 'Home', '2024-03-11T09:00:00.000Z'],
        ],
      );
      await get('users/nobody', 404);
      await get('users/u1', 404, asCaller({ tenant: 'tq', role: 'owner' }));
      // A viewer reads analytics (ids are shown as stored) but may not erase a user's events.
      await get('users/u1', 200, asCaller({ tenant: 'ta', role: 'viewer' }));
      const erase = await gw.fetch('/admin/v1/tenants/ta/analytics/users/u1', {
        method: 'DELETE',
        headers: asCaller({ tenant: 'ta', role: 'viewer' }),
      });
      assert.equal(erase.status, 403, await erase.clone().text());
      assert.equal(((await erase.json()) as { code: string }).code, 'permission_denied');
      await get('users/u1', 403, asCaller({ tenant: 'ta', role: 'owner', scopes: ['events:write'] }));
      const res = await gw.fetch('/admin/v1/tenants/ta/analytics/users/u1');
      assert.equal(res.status, 401);
    });

    it('refuses bad query parameters with a 400 naming the parameter, never a 500 or an unbounded read', async () => {
      const cases: [string, string][] = [
        [`events?${M}&colour=red`, 'colour'],
        [`events?${M}&interval=minute`, 'interval'],
        [`events?${M}&interval=day&interval=week`, 'interval'],
        [`events?from=2024-03-01T00:00:00&to=2024-03-02T00:00:00Z`, 'from'],
        [`events?from=%2B275760-09-13T00:00:00Z`, 'from'],
        [`events?${M}&from=2024-02-30`, 'from'],
        [`events?${M}&property.plan=a&property.plan=b`, 'property.plan'],
        [`events?${M}&${Array.from({ length: 11 }, (_, i) => `property.p${i}=1`).join('&')}`, 'property.p10'],
        [`events?${M}&${Array.from({ length: 21 }, (_, i) => `event=e${i}`).join('&')}`, 'event'],
        [`events?${M}&event=`, 'event'],
        [`events?${M}&user_id=`, 'user_id'],
        [`top/events?${M}&limit=0`, 'limit'],
        [`top/events?${M}&limit=1001`, 'limit'],
        [`top/events?${M}&limit=abc`, 'limit'],
        [`top/properties?${M}&sort=desc`, 'sort'],
        [`funnels?${M}&steps=a,b&window=91d`, 'window'],
        [`funnels?${M}&steps=a,b&window=0m`, 'window'],
        [`funnels?${M}&${Array.from({ length: 11 }, (_, i) => `step=s${i}`).join('&')}`, 'step'],
        [`funnels?${M}&steps=${Array.from({ length: 11 }, (_, i) => `s${i}`).join(',')}`, 'steps'],
        [`funnels?${M}&steps=a,b&conversion=1`, 'conversion'],
        [`retention?${M}&periods=61`, 'periods'],
        [`retention?${M}&interval=hour`, 'interval'],
        [`retention?${M}&cohort=day`, 'cohort'],
        [`sessions?${M}&inactivity=2d`, 'inactivity'],
        [`sessions?${M}&limit=-1`, 'limit'],
        [`users/u1?limit=1001`, 'limit'],
        [`users/u1?before=not-a-cursor`, 'before'],
        [`users/u1?offset=10`, 'offset'],
      ];
      for (const [path, param] of cases) {
        const res = await gw.fetch(`/admin/v1/tenants/ta/analytics/${path}`, { headers: viewer });
        assert.equal(res.status, 400, `${path}: ${await res.clone().text()}`);
        assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/, path);
        const body = (await res.json()) as { param?: string; detail: string };
        assert.equal(body.param, param, `${path}: ${body.detail}`);
      }
    });

    it('charts several chosen events and pages a user’s timeline without repeats', async () => {
      const two = await get<{ total: number; events: { event: string; total: number }[] }>(
        `events?${M}&interval=week&group_by=event&event=signup&event=login`,
      );
      assert.equal(two.total, 7);
      assert.deepEqual(two.events.map((e) => [e.event, e.total]).sort(), [
        ['login', 3],
        ['signup', 4],
      ]);
      type P = { next_before: string | null; recent_events: { timestamp: string; message_id: string }[] };
      const seen: string[] = [];
      let before: string | null = null;
      let pages = 0;
      do {
        const page: P = await get<P>(`users/u1?limit=3${before ? `&before=${before}` : ''}`);
        seen.push(...page.recent_events.map((e) => e.message_id));
        before = page.next_before;
        pages++;
      } while (before && pages < 10);
      assert.equal(pages, 3);
      assert.equal(seen.length, 7);
      assert.equal(new Set(seen).size, 7, 'no event twice');
    });

    it('lists top events and properties', async () => {
      const top = await get<{ data: { event: string; count: number; users: number }[] }>(`top/events?${M}`);
      assert.deepEqual(
        top.data.map((d) => [d.event, d.count, d.users]),
        [
          ['activate', 4, 4],
          ['purchase', 4, 3],
          ['signup', 4, 4],
          ['login', 3, 2],
        ],
      );
      const pages = await get<{ data: { event: string; count: number }[] }>(`top/events?${M}&type=page`);
      assert.deepEqual(
        pages.data.map((d) => [d.event, d.count]),
        [['Home', 1]],
      );
      const props = await get<{ properties: { property: string; count: number }[] }>(
        `top/properties?${M}&event=signup`,
      );
      assert.deepEqual(
        props.properties.map((p) => [p.property, p.count]),
        [
          ['plan', 4],
          ['source', 4],
        ],
      );
      const values = await get<{ values: { value: string; count: number }[] }>(
        `top/properties?${M}&event=signup&property=plan`,
      );
      assert.deepEqual(
        values.values.map((v) => [v.value, v.count]),
        [
          ['free', 3],
          ['pro', 1],
        ],
      );
      const amounts = await get<{ values: { value: string; count: number }[] }>(`top/properties?${M}&property=amount`);
      assert.deepEqual(
        amounts.values.map((v) => [v.value, v.count]),
        [
          ['5', 2],
          ['10', 1],
          ['30', 1],
        ],
      );
    });
  });
}
