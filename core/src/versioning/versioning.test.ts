import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { ApiVersionKey, API_VERSIONS, definePlugin, type VersionChange } from '../plugin-api';
import { asCaller, identityPlugin, startTestGateway, type TestGateway } from '../testing';
import type { Clock } from '../services/Clock';
import { ApiVersions } from './ApiVersions';
import { sunsetOf } from './headers';

const [OLD, CURRENT] = API_VERSIONS;

/**
 * A plugin whose answer changed at the current version: `/v1/widgets` answers `{ data, has_more }`
 * now, `{ items }` before; its POST takes `size_cm` now and `size` (inches) before. Both directions
 * are declared as a version change, the way a plugin ships one.
 */
const widgetChanges: VersionChange[] = [
  {
    version: CURRENT,
    description:
      'Widget lists answer `data` and `has_more` instead of `items`; widgets take `size_cm` instead of `size` in inches.',
    appliesTo: (r) => r.path.startsWith('/v1/widgets'),
    upgradeRequest: (body) => {
      const b = body as { size?: number };
      if (b && typeof b.size === 'number') return { size_cm: b.size * 2.54 };
      return body;
    },
    downgradeResponse: (body) => {
      const b = body as { data?: unknown; has_more?: boolean; size_cm?: number };
      if (Array.isArray(b.data)) return { items: b.data };
      if (typeof b.size_cm === 'number') return { size: b.size_cm / 2.54 };
      return body;
    },
    // Streams: a widget event carries `size_cm` now, `size` before; `ping` events are new.
    downgradeEvent: (event) => {
      const e = event as { type?: string; size_cm?: number };
      if (e.type === 'ping') return null;
      // Written for widget chunks only, as a change may well be: an error event would make it throw.
      if (typeof e.size_cm !== 'number') throw new Error('not a widget chunk');
      return { size: e.size_cm / 2.54 };
    },
  },
];

/** The widget stream as the current version sends it, cut mid-event as a socket may deliver it. */
const STREAM_TEXT =
  'data: {"size_cm":2.54}\n\nevent: ping\ndata: {"type":"ping"}\n\n: keep-alive\n\nid: 3\r\ndata: {"size_cm":5.08}\r\n\r\ndata: {"error":{"message":"upstream failed"}}\n\ndata: [DONE]\n\n';
/** Error events pass through every change untouched. */
const OLD_STREAM_TEXT =
  'data: {"size":1}\n\n: keep-alive\n\nid: 3\ndata: {"size":2}\r\n\r\ndata: {"error":{"message":"upstream failed"}}\n\ndata: [DONE]\n\n';

/** The events (data lines) of an SSE text. */
function sseData(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6));
}

const widgets = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'widgets',
  version: '1.0.0',
  core: '*',
  routePrefix: '',
  versionChanges: widgetChanges,
  hooks: [
    {
      // A cache hit as the cache plugin serves one: the stored bytes (JSON, or an SSE replay).
      phase: 'cache.lookup',
      appliesTo: (r) => r.path === '/v1/widgets/hit',
      handle: (c) => {
        c.status = 200;
        if (c.query.stream === '1') {
          c.set('content-type', 'text/event-stream; charset=utf-8');
          c.body = Buffer.from(STREAM_TEXT);
        } else {
          c.set('content-type', 'application/json; charset=utf-8');
          c.body = Buffer.from(JSON.stringify({ data: [{ id: 'w9' }], has_more: false }));
        }
      },
    },
    {
      // What a cache's key or the ai plugin's request preparation reads: the body before the handler.
      phase: 'cache.lookup',
      appliesTo: (r) => r.method === 'POST' && r.path === '/v1/widgets',
      handle: (c, next) => {
        c.set('x-seen-body', JSON.stringify(c.request.body));
        return next();
      },
    },
    {
      // Answers in the handler's place, as a cache hit does.
      phase: 'cache.lookup',
      appliesTo: (r) => r.path === '/v1/widgets/cached',
      handle: (c) => {
        c.body = { hit: true, served_at: ApiVersionKey.get(c) };
      },
    },
  ],
  routes(router) {
    router.get('/v1/widgets/stream', (c) => {
      c.type = 'text/event-stream';
      const cut = [9, 30, 31, 77, STREAM_TEXT.length];
      c.body = Readable.from(cut.map((end, i) => Buffer.from(STREAM_TEXT.slice(i === 0 ? 0 : cut[i - 1], end))));
    });
    router.get('/v1/widgets/hit', () => {
      throw new Error('the hook answers first');
    });
    router.get('/v1/widgets/cached', () => {
      throw new Error('the hook answers first');
    });
    router.get('/v1/widgets', (c) => {
      c.body = { data: [{ id: 'w1' }], has_more: false, served_at: ApiVersionKey.get(c) };
    });
    router.post(
      '/v1/widgets',
      (c) => {
        const body = c.request.body as { size_cm: number };
        c.status = 201;
        c.body = { size_cm: body.size_cm };
      },
      { schema: { body: z.object({ size_cm: z.number().positive() }).strict() } },
    );
    router.get('/admin/v1/widgets', (c) => {
      c.body = { ok: true };
    });
    router.get('/plugins/widgets/raw', (c) => {
      c.body = { ok: true };
    });
  },
});

describe('API versions (AIHub-Version)', () => {
  let gw: TestGateway;
  const caller = asCaller({ tenant: 't1', key: 'k1' });

  before(async () => {
    gw = await startTestGateway({ plugins: [identityPlugin(), widgets] });
  });
  after(async () => {
    await gw?.stop();
  });

  it('serves the current version without a header or pin, with no deprecation headers', async () => {
    const res = await gw.fetch('/v1/widgets', { headers: caller });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('aihub-version'), CURRENT);
    assert.equal(res.headers.get('deprecation'), null);
    assert.equal(res.headers.get('sunset'), null);
    assert.deepEqual(await res.json(), { data: [{ id: 'w1' }], has_more: false, served_at: CURRENT });
  });

  it('serves an older version through the change: answer downgraded, deprecation and sunset announced', async () => {
    const res = await gw.fetch('/v1/widgets', { headers: { ...caller, 'AIHub-Version': OLD } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('aihub-version'), OLD);
    assert.deepEqual(await res.json(), { items: [{ id: 'w1' }] });
    assert.equal(res.headers.get('deprecation'), `@${Date.parse(`${CURRENT}T00:00:00Z`) / 1000}`);
    const sunset = res.headers.get('sunset')!;
    assert.match(sunset, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} 00:00:00 GMT$/);
    assert.equal(new Date(sunset).getTime(), Date.parse(`${CURRENT}T00:00:00Z`) + 365 * 86_400_000);
    const link = res.headers.get('link')!;
    assert.match(link, /<\/admin\/v1\/versions>; rel="deprecation"/);
    assert.match(link, /<\/admin\/v1\/versions>; rel="sunset"/);
  });

  it('upgrades an older request before the schema is validated, and downgrades the answer', async () => {
    const old = await gw.fetch('/v1/widgets', {
      method: 'POST',
      headers: { ...caller, 'content-type': 'application/json', 'AIHub-Version': OLD },
      body: JSON.stringify({ size: 10 }),
    });
    assert.equal(old.status, 201);
    assert.deepEqual(await old.json(), { size: 10 });
    // Hooks before the handler (a cache key, the ai plugin's prepare) see the upgraded request too:
    // else an older caller's body would be keyed and parsed in a shape the current version does not have.
    assert.deepEqual(JSON.parse(old.headers.get('x-seen-body') ?? 'null'), { size_cm: 25.4 });
    const now = await gw.fetch('/v1/widgets', {
      method: 'POST',
      headers: { ...caller, 'content-type': 'application/json' },
      body: JSON.stringify({ size_cm: 25.4 }),
    });
    assert.equal(now.status, 201);
    assert.deepEqual(await now.json(), { size_cm: 25.4 });
    // The current version validates the current shape: the old field is refused.
    const wrong = await gw.fetch('/v1/widgets', {
      method: 'POST',
      headers: { ...caller, 'content-type': 'application/json' },
      body: JSON.stringify({ size: 10 }),
    });
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'validation_failed');
  });

  it('pins: the key pin beats the tenant pin, the header beats both', async () => {
    const tenantPinned = asCaller({ tenant: 't1', key: 'k1', tenantSettings: { apiVersion: OLD } });
    let res = await gw.fetch('/v1/widgets', { headers: tenantPinned });
    assert.equal(res.headers.get('aihub-version'), OLD);
    assert.deepEqual(await res.json(), { items: [{ id: 'w1' }] });

    const keyPinned = asCaller({
      tenant: 't1',
      key: 'k1',
      tenantSettings: { apiVersion: OLD },
      keyApiVersion: CURRENT,
    });
    res = await gw.fetch('/v1/widgets', { headers: keyPinned });
    assert.equal(res.headers.get('aihub-version'), CURRENT);
    await res.body?.cancel();

    const keyOld = asCaller({ tenant: 't1', key: 'k1', keyApiVersion: OLD });
    res = await gw.fetch('/v1/widgets', { headers: { ...keyOld, 'aihub-version': CURRENT } });
    assert.equal(res.headers.get('aihub-version'), CURRENT);
    assert.deepEqual(await res.json(), { data: [{ id: 'w1' }], has_more: false, served_at: CURRENT });
  });

  it('refuses an unknown version in the route family’s error format, naming the known versions', async () => {
    const v1 = await gw.fetch('/v1/widgets', { headers: { ...caller, 'AIHub-Version': '2020-01-01' } });
    assert.equal(v1.status, 400);
    const err = ((await v1.json()) as { error: { code: string; param: string; message: string } }).error;
    assert.equal(err.code, 'unsupported_api_version');
    assert.equal(err.param, 'AIHub-Version');
    for (const v of API_VERSIONS) assert.ok(err.message.includes(v), err.message);

    const admin = await gw.fetch('/admin/v1/widgets', { headers: { ...caller, 'AIHub-Version': 'latest' } });
    assert.equal(admin.status, 400);
    assert.match(admin.headers.get('content-type') ?? '', /application\/problem\+json/);
    const problem = (await admin.json()) as { code: string; detail: string };
    assert.equal(problem.code, 'unsupported_api_version');
    assert.ok(problem.detail.includes(CURRENT));
  });

  it('an answer given before the handler (a cache hit) carries the version too', async () => {
    const res = await gw.fetch('/v1/widgets/cached', { headers: { ...caller, 'AIHub-Version': OLD } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('aihub-version'), OLD);
    assert.ok(res.headers.get('deprecation'));
    assert.deepEqual(await res.json(), { hit: true, served_at: OLD });
  });

  it('downgrades each event of a streamed answer at an older version, and leaves the current stream as sent', async () => {
    const old = await gw.fetch('/v1/widgets/stream', { headers: { ...caller, 'AIHub-Version': OLD } });
    assert.equal(old.status, 200);
    assert.equal(old.headers.get('aihub-version'), OLD);
    assert.equal(await old.text(), OLD_STREAM_TEXT);
    const now = await gw.fetch('/v1/widgets/stream', { headers: caller });
    assert.equal(await now.text(), STREAM_TEXT);
  });

  it('downgrades an early answer (a cache hit’s stored JSON and SSE bytes) at an older version', async () => {
    const json = await gw.fetch('/v1/widgets/hit', { headers: { ...caller, 'AIHub-Version': OLD } });
    assert.equal(json.status, 200);
    assert.deepEqual(await json.json(), { items: [{ id: 'w9' }] });
    const stream = await gw.fetch('/v1/widgets/hit?stream=1', { headers: { ...caller, 'AIHub-Version': OLD } });
    assert.deepEqual(sseData(await stream.text()), sseData(OLD_STREAM_TEXT));
    const current = await gw.fetch('/v1/widgets/hit', { headers: caller });
    assert.deepEqual(await current.json(), { data: [{ id: 'w9' }], has_more: false });
    const currentStream = await gw.fetch('/v1/widgets/hit?stream=1', { headers: caller });
    assert.equal(await currentStream.text(), STREAM_TEXT);
  });

  it('leaves routes outside /v1 and /admin/v1 unversioned', async () => {
    const res = await gw.fetch('/plugins/widgets/raw', { headers: { ...caller, 'AIHub-Version': 'nonsense' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('aihub-version'), null);
    await res.body?.cancel();
  });

  it('GET /admin/v1/versions lists versions newest first with status, dates and changes', async () => {
    const res = await gw.fetch('/admin/v1/versions');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('aihub-version'), CURRENT);
    const body = (await res.json()) as {
      current: string;
      data: {
        id: string;
        status: string;
        deprecated?: string;
        sunset?: string;
        changes: { plugin: string; description: string }[];
      }[];
    };
    assert.equal(body.current, CURRENT);
    assert.deepEqual(
      body.data.map((v) => v.id),
      [...API_VERSIONS].reverse(),
    );
    const current = body.data[0];
    assert.equal(current.status, 'current');
    assert.ok(current.changes.some((c) => c.plugin === 'widgets' && c.description.includes('size_cm')));
    const old = body.data.find((v) => v.id === OLD)!;
    assert.equal(old.deprecated, CURRENT);
    assert.equal(old.status, 'deprecated');
    assert.ok(old.sunset! > CURRENT);
  });
});

describe('API versions past their sunset', () => {
  const caller = asCaller({ tenant: 't1', key: 'k1' });
  const sunset = sunsetOf(CURRENT);
  const DAY = 86_400_000;
  let nowMs = sunset - 1;
  const clock: Clock = { now: () => nowMs, monotonic: () => performance.now() };
  const gateways: TestGateway[] = [];
  const start = async (versioning?: Record<string, unknown>) => {
    const gw = await startTestGateway({
      plugins: [identityPlugin(), widgets],
      clock,
      config: versioning ? { versioning } : {},
    });
    gateways.push(gw);
    return gw;
  };
  after(async () => {
    for (const gw of gateways) await gw.stop();
  });

  it('serves the older version until its sunset, then answers 410 api_version_sunset naming the current version', async () => {
    const gw = await start();
    nowMs = sunset - 1;
    const before = await gw.fetch('/v1/widgets', { headers: { ...caller, 'AIHub-Version': OLD } });
    assert.equal(before.status, 200);
    assert.deepEqual(await before.json(), { items: [{ id: 'w1' }] });
    let listed = (await (await gw.fetch('/admin/v1/versions')).json()) as {
      data: { id: string; status: string; served: boolean }[];
    };
    assert.deepEqual(
      listed.data.map((v) => [v.id, v.status, v.served]),
      [
        [CURRENT, 'current', true],
        [OLD, 'deprecated', true],
      ],
    );

    nowMs = sunset;
    const v1 = await gw.fetch('/v1/widgets', { headers: { ...caller, 'AIHub-Version': OLD } });
    assert.equal(v1.status, 410);
    const err = ((await v1.json()) as { error: { code: string; message: string; param: string } }).error;
    assert.equal(err.code, 'api_version_sunset');
    assert.equal(err.param, 'AIHub-Version');
    assert.ok(err.message.includes(`AIHub-Version: ${CURRENT}`), err.message);
    assert.ok(err.message.includes('/admin/v1/versions'), err.message);
    assert.match(v1.headers.get('link') ?? '', /<\/admin\/v1\/versions>; rel="sunset"/);

    // A pin past its sunset is refused the same way; the admin API answers a problem.
    const pinned = asCaller({ tenant: 't1', key: 'k1', tenantSettings: { apiVersion: OLD } });
    const admin = await gw.fetch('/admin/v1/widgets', { headers: pinned });
    assert.equal(admin.status, 410);
    assert.match(admin.headers.get('content-type') ?? '', /application\/problem\+json/);
    const problem = (await admin.json()) as { code: string; detail: string; current: string };
    assert.equal(problem.code, 'api_version_sunset');
    assert.equal(problem.current, CURRENT);
    assert.ok(problem.detail.includes(CURRENT));

    // The current version is unaffected; the header overrides a sunset pin.
    const current = await gw.fetch('/v1/widgets', { headers: { ...pinned, 'AIHub-Version': CURRENT } });
    assert.equal(current.status, 200);
    await current.body?.cancel();
    listed = (await (await gw.fetch('/admin/v1/versions')).json()) as typeof listed;
    const old = listed.data.find((v) => v.id === OLD)!;
    assert.equal(old.status, 'sunset');
    assert.equal(old.served, false);

    // The changelog the 410 links to stays readable by the client that got it (same header, same pin).
    for (const headers of [{ 'AIHub-Version': OLD }, pinned]) {
      const changelog = await gw.fetch('/admin/v1/versions', { headers });
      assert.equal(changelog.status, 200, JSON.stringify(headers));
      assert.equal(((await changelog.json()) as { current: string }).current, CURRENT);
    }
  });

  it('keeps serving for versioning.sunsetGraceDays, or always with versioning.serveAfterSunset', async () => {
    const grace = await start({ sunsetGraceDays: 30 });
    const always = await start({ serveAfterSunset: true });
    const ask = (gw: TestGateway) => gw.fetch('/v1/widgets', { headers: { ...caller, 'AIHub-Version': OLD } });
    nowMs = sunset + 29 * DAY;
    let res = await ask(grace);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('aihub-version'), OLD);
    await res.body?.cancel();
    nowMs = sunset + 30 * DAY;
    res = await ask(grace);
    assert.equal(res.status, 410);
    await res.body?.cancel();
    nowMs = sunset + 3650 * DAY;
    res = await ask(always);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { items: [{ id: 'w1' }] });
    const listed = (await (await always.fetch('/admin/v1/versions')).json()) as {
      data: { id: string; status: string; served: boolean }[];
    };
    const old = listed.data.find((v) => v.id === OLD)!;
    assert.deepEqual([old.status, old.served], ['sunset', true]);
  });
});

describe('ApiVersions catalog checks', () => {
  const noop = { description: 'x', appliesTo: () => true };
  it('refuses a change for a version that is not in the catalog, naming the plugin', () => {
    assert.throws(() => new ApiVersions([{ ...noop, version: '2031-01-01', plugin: 'p' }]), /plugin "p".*2031-01-01/);
  });
  it('refuses a change for the first version (there is nothing before it to serve)', () => {
    assert.throws(() => new ApiVersions([{ ...noop, version: API_VERSIONS[0], plugin: 'p' }]), /first version/);
  });
  it('refuses versions out of order or not dates', () => {
    assert.throws(() => new ApiVersions([], ['2026-02-01', '2026-01-01']), /ascending/);
    assert.throws(() => new ApiVersions([], ['2026-02-30']), /YYYY-MM-DD/);
  });
});
