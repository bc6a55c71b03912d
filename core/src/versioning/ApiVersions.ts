import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { ReadableStream as WebReadableStream } from 'node:stream/web';
import { PrincipalKey, TenantKey } from '../contracts';
import { CoreErrors } from '../errors/coreErrors';
import { validateRequest } from '../http/validate';
import type { BoundHook } from '../kernel/orderHooks';
import type { KernelState } from '../kernel/buildRouteChain';
import type { GatewayContext, GatewayMiddleware, RouteInfo } from '../kernel/types';
import { API_VERSIONS, CHANGELOG_PATH, VERSION_HEADER, isVersionDate } from './catalog';
import { DAY_MS, sunsetOf, versionHeaders, versionTime } from './headers';
import { downgradeSse } from './sse';
import { ApiVersionKey } from './state';
import type { ApiVersionInfo, VersionChange } from './types';

/** A change with the plugin (or `core`) that registered it. */
export interface RegisteredChange extends VersionChange {
  plugin: string;
}

/** AI Hub's own APIs: the OpenAI-compatible `/v1` and the admin API `/admin/v1`. */
export function isVersionedPath(path: string): boolean {
  return path.startsWith('/v1/') || path.startsWith('/admin/v1/');
}

function isJsonBody(body: unknown): body is object {
  if (body === null || typeof body !== 'object') return false;
  if (Buffer.isBuffer(body) || typeof (body as { pipe?: unknown }).pipe === 'function') return false;
  return true;
}

function applyHeaders(res: ServerResponse, headers: [string, string][]): void {
  for (const [k, v] of headers) {
    // A route's own Link (paging) stays; the deprecation links are added to it.
    if (k === 'link') res.appendHeader(k, v);
    else res.setHeader(k, v);
  }
}

/** An older request in the current shape: its version's upgrades, oldest change first (none at the current version). */
function upgrade(ctx: GatewayContext, changes: readonly RegisteredChange[]): void {
  for (const c of changes) ctx.request.body = c.upgradeRequest!(ctx.request.body, ctx);
}

/** Options of the catalog: the clock (tests control it) and the operator's sunset settings. */
export interface ApiVersionsOptions {
  /** Milliseconds since the epoch; decides when a version is past its sunset. */
  now?: () => number;
  /** Keep serving versions past their sunset (`versioning.serveAfterSunset`). */
  serveAfterSunset?: boolean;
  /** Days a version is still served after its sunset (`versioning.sunsetGraceDays`). */
  sunsetGraceDays?: number;
}

/** Per version index, the changes that downgrade a route's answers at that version. */
interface DowngradePlan {
  json: RegisteredChange[][];
  events: RegisteredChange[][];
}

/**
 * The downgrade hook's place in `response.transform`: after every plugin hook that reads or
 * replaces the current version's answer (the cache's capture, at 1000), before the ai plugin's
 * stream hook (1_000_000), which writes its own stream straight to the socket.
 */
export const DOWNGRADE_ORDER = 999_000;

function isJsonType(ctx: GatewayContext): boolean {
  const type = ctx.response.get('content-type');
  return typeof type === 'string' && /^application\/(?:[\w.+-]*\+)?json\b/.test(type);
}

function isEventStream(ctx: GatewayContext): boolean {
  const type = ctx.response.get('content-type');
  return typeof type === 'string' && type.startsWith('text/event-stream');
}

/** The answer as the older version gave it: a JSON body (parsed, or a cache hit's bytes), or an SSE body's events. */
function downgradeAnswer(ctx: GatewayContext, json: RegisteredChange[], events: RegisteredChange[]): void {
  const body: unknown = ctx.body;
  if (events.length > 0 && isEventStream(ctx)) {
    if (!(Buffer.isBuffer(body) || body instanceof Readable || body instanceof WebReadableStream)) return;
    ctx.body = downgradeSse(body, (event) => {
      // An error event mid-stream is passed as it is: a change written for normal chunks must not
      // throw on it and cut the stream, losing the error the client needs to see.
      if (event !== null && typeof event === 'object' && 'error' in event) return event;
      let e = event;
      for (const c of events) {
        e = c.downgradeEvent!(e, ctx);
        if (e === null) return null;
      }
      return e;
    });
    return;
  }
  if (json.length === 0) return;
  let value: unknown;
  if (isJsonBody(body)) value = body;
  else if (Buffer.isBuffer(body) && isJsonType(ctx)) {
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return;
    }
  } else return;
  for (const c of json) value = c.downgradeResponse!(value, ctx);
  ctx.body = value;
}

/**
 * The versions and their changes, built once at boot. `wrap` gives each `/v1` and `/admin/v1`
 * route handler its version step: resolve the version (header > key pin > tenant pin > current),
 * answer with `AIHub-Version` (and `Deprecation`/`Sunset`/`Link` for an older one), and, only for an
 * older version with changes on this route, upgrade the request and downgrade the JSON answer.
 * A request at the current version costs a header read, two state reads and one header write.
 */
export class ApiVersions {
  readonly versions: readonly string[];
  readonly current: string;
  private readonly index = new Map<string, number>();
  private readonly headers: [string, string][][];
  /** Per version: from when (ms) a request at it is refused (410); Infinity while it is served. */
  private readonly refuseFrom: number[];
  private readonly now: () => number;
  /** Per route (as the chain was built with it): the response downgrades per version, when any. */
  private readonly plans = new WeakMap<RouteInfo, DowngradePlan>();
  /** Per route (as wrap returned it): the request upgrades per version, when a change has any. */
  private readonly upgradesOf = new WeakMap<RouteInfo, RegisteredChange[][]>();

  constructor(
    readonly changes: readonly RegisteredChange[],
    versions: readonly string[] = API_VERSIONS,
    options: ApiVersionsOptions = {},
  ) {
    if (versions.length === 0) throw new Error('AIHUB_E_API_VERSIONS: the version catalog is empty');
    for (let i = 0; i < versions.length; i++) {
      const v = versions[i];
      if (!isVersionDate(v)) throw new Error(`AIHUB_E_API_VERSIONS: version "${v}" is not a YYYY-MM-DD date`);
      if (i > 0 && v <= versions[i - 1])
        throw new Error(
          `AIHUB_E_API_VERSIONS: versions must be in ascending date order ("${versions[i - 1]}" before "${v}")`,
        );
      this.index.set(v, i);
    }
    this.versions = versions;
    this.current = versions[versions.length - 1];
    for (const c of changes) {
      const i = this.index.get(c.version);
      if (i === undefined) {
        throw new Error(
          `AIHUB_E_VERSION_CHANGE: plugin "${c.plugin}" registers a change for version "${c.version}", which is not one of ${versions.join(', ')}; name a released version.`,
        );
      }
      if (i === 0)
        throw new Error(
          `AIHUB_E_VERSION_CHANGE: plugin "${c.plugin}" registers a change for "${c.version}", the first version; a change belongs to the version that introduced it.`,
        );
    }
    this.headers = versions.map((v, i) => versionHeaders(v, versions[i + 1]));
    this.now = options.now ?? Date.now;
    const grace = (options.sunsetGraceDays ?? 0) * DAY_MS;
    this.refuseFrom = versions.map((_, i) =>
      i === versions.length - 1 || options.serveAfterSunset ? Infinity : sunsetOf(versions[i + 1]) + grace,
    );
  }

  /**
   * The version index a request is served at. An unknown `AIHub-Version` header is a 400 naming the
   * known versions; a version past its sunset (asked for or pinned) is a 410 naming the current one,
   * unless the operator serves sunset versions (`versioning.serveAfterSunset`, `sunsetGraceDays`).
   */
  resolve(ctx: Parameters<GatewayMiddleware>[0]): number {
    const i = this.pick(ctx);
    // The current version is never sunset: the clock is read for older versions only. The changelog
    // (which no change alters) is served at every version: the 410 links to it.
    if (
      i !== this.versions.length - 1 &&
      this.now() >= this.refuseFrom[i] &&
      (ctx.state as KernelState).route?.path !== CHANGELOG_PATH
    )
      throw this.sunsetError(i);
    return i;
  }

  private pick(ctx: Parameters<GatewayMiddleware>[0]): number {
    const asked = ctx.req.headers[VERSION_HEADER];
    if (asked !== undefined) {
      const i = typeof asked === 'string' ? this.index.get(asked.trim()) : undefined;
      if (i === undefined) {
        throw CoreErrors.create(
          'unsupported_api_version',
          `The AIHub-Version header "${String(asked).slice(0, 40)}" is not a version of this API; send one of ${this.versions.join(', ')} (current: ${this.current}) or leave the header out.`,
          { param: 'AIHub-Version' },
        );
      }
      return i;
    }
    const keyPin = PrincipalKey.get(ctx)?.apiVersion;
    if (keyPin !== undefined) {
      const i = this.index.get(keyPin);
      if (i !== undefined) return i;
    }
    const tenantPin = TenantKey.get(ctx)?.settings.apiVersion;
    if (typeof tenantPin === 'string') {
      const i = this.index.get(tenantPin);
      if (i !== undefined) return i;
    }
    return this.versions.length - 1;
  }

  private sunsetError(i: number) {
    const version = this.versions[i];
    const sunset = new Date(sunsetOf(this.versions[i + 1])).toISOString().slice(0, 10);
    return CoreErrors.create(
      'api_version_sunset',
      `API version ${version} reached its sunset on ${sunset} and is no longer served; send AIHub-Version: ${this.current} (the current version) or upgrade the key's or tenant's pin. What changed: ${CHANGELOG_PATH}`,
      {
        param: 'AIHub-Version',
        headers: { link: `<${CHANGELOG_PATH}>; rel="sunset"; type="application/json"` },
        details: { version, sunset, current: this.current, changelog: CHANGELOG_PATH },
      },
    );
  }

  /**
   * Resolves the request's version, records it (ApiVersionKey) and sets the answer's headers; the
   * version's index.
   */
  enter(ctx: GatewayContext): number {
    const i = this.resolve(ctx);
    ApiVersionKey.set(ctx, this.versions[i]);
    applyHeaders(ctx.res, this.headers[i]);
    return i;
  }

  /**
   * Core's hook on `/v1` and `/admin/v1` routes, last in `request.authorize` (the caller and the
   * tenant are known, nothing has answered yet): the version is resolved there, so an answer given
   * before the handler (a cache hit, a rate-limit refusal) carries `AIHub-Version` too and its usage
   * record the version. The handler's step then reads it instead of resolving again.
   */
  resolveHook(): BoundHook {
    return {
      plugin: 'core',
      id: 'core:api-version',
      hook: {
        name: 'api-version',
        phase: 'request.authorize',
        order: 1_000_000,
        appliesTo: (r) => r.pipeline && isVersionedPath(r.path),
        handle: (ctx, next) => {
          const i = this.enter(ctx);
          // Upgraded here, before request.transform and cache.lookup: the hooks that read the body
          // before the handler (a cache key, the ai plugin's prepare) read it in the current shape.
          const route = (ctx.state as KernelState).route;
          const upgrades = route && this.upgradesOf.get(route);
          if (upgrades) upgrade(ctx, upgrades[i]);
          return next();
        },
      },
    };
  }

  isKnown(version: string): boolean {
    return this.index.has(version);
  }

  /**
   * The handler (and the schema the kernel validates before it) for a route. Routes outside `/v1` and
   * `/admin/v1` are returned as they are. When a change upgrades this route's requests, the
   * schema is validated here, after the upgrade, instead of before the handler. Answers are
   * downgraded by `downgradeHook`, which also sees answers given before the handler.
   */
  wrap(route: RouteInfo, handler: GatewayMiddleware): { route: RouteInfo; handler: GatewayMiddleware } {
    if (!isVersionedPath(route.path)) return { route, handler };
    const mine = this.changes.filter((c) => c.appliesTo(route));
    // Per version: the request upgrades, oldest change first.
    const upgrades = this.versions.map((_, i) =>
      mine
        .filter((c) => this.index.get(c.version)! > i && c.upgradeRequest)
        .sort((a, b) => (a.version < b.version ? -1 : 1)),
    );
    const schema = route.schema;
    const upgrading = upgrades.some((u) => u.length > 0);
    const validateHere = schema !== undefined && upgrading;
    const versioned: GatewayMiddleware = (ctx, next) => {
      // Resolved and upgraded by the hook (resolveHook) on pipeline routes; routes without the
      // pipeline do both here.
      if (ApiVersionKey.get(ctx) === undefined) upgrade(ctx, upgrades[this.enter(ctx)]);
      if (validateHere) validateRequest(ctx, schema);
      return handler(ctx, next);
    };
    const out = validateHere ? { ...route, schema: undefined } : route;
    if (upgrading) this.upgradesOf.set(out, upgrades);
    return { route: out, handler: versioned };
  }

  /** The response downgrades of a route per version (newest change first), or undefined when none. */
  private planFor(route: RouteInfo): DowngradePlan | undefined {
    if (!isVersionedPath(route.path)) return undefined;
    const mine = this.changes.filter((c) => c.appliesTo(route) && (c.downgradeResponse || c.downgradeEvent));
    if (mine.length === 0) return undefined;
    const newer = (i: number) =>
      mine.filter((c) => this.index.get(c.version)! > i).sort((a, b) => (a.version < b.version ? 1 : -1));
    return {
      json: this.versions.map((_, i) => newer(i).filter((c) => c.downgradeResponse)),
      events: this.versions.map((_, i) => newer(i).filter((c) => c.downgradeEvent)),
    };
  }

  /**
   * Core's `response.transform` hook on the routes some change downgrades (decided at boot: other
   * routes don't run it). It runs after the handler and after an answer given in its place (a
   * cache hit: the kernel runs response transforms on those too), after the cache has captured the
   * current version's answer, and before the ai plugin hands its stream to the socket. An older
   * version's JSON answer goes through `downgradeResponse`, its SSE events through `downgradeEvent`;
   * the current version returns at once.
   */
  downgradeHook(): BoundHook {
    const latest = this.versions.length - 1;
    const index = this.index;
    const plans = this.plans;
    return {
      plugin: 'core',
      id: 'core:api-version-downgrade',
      hook: {
        name: 'api-version-downgrade',
        phase: 'response.transform',
        order: DOWNGRADE_ORDER,
        appliesTo: (route) => {
          const plan = this.planFor(route);
          if (plan) plans.set(route, plan);
          return plan !== undefined;
        },
        handle: (ctx) => {
          const known = ApiVersionKey.get(ctx);
          if (known === undefined) return;
          const i = index.get(known)!;
          if (i === latest) return;
          const route = (ctx.state as KernelState).route;
          const plan = route && plans.get(route);
          if (plan) downgradeAnswer(ctx, plan.json[i], plan.events[i]);
        },
      },
    };
  }
  /** Every version, newest first, with its status, dates and changes (`GET /admin/v1/versions`). */
  list(now: number = this.now()): ApiVersionInfo[] {
    const out: ApiVersionInfo[] = this.versions.map((id, i) => {
      const next = this.versions[i + 1];
      const changes = this.changes
        .filter((c) => c.version === id)
        .map((c) => ({ plugin: c.plugin, description: c.description }));
      if (next === undefined) return { id, status: 'current', released: id, served: true, changes };
      const sunset = sunsetOf(next);
      return {
        id,
        status: now >= sunset ? 'sunset' : 'deprecated',
        served: now < this.refuseFrom[i],
        released: id,
        deprecated: next,
        sunset: new Date(sunset).toISOString().slice(0, 10),
        changes,
      };
    });
    return out.reverse();
  }

  /** When a version was released (ms since the epoch). */
  releasedAt(version: string): number {
    return versionTime(version);
  }
}
