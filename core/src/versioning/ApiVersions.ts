import type { ServerResponse } from 'node:http';
import { PrincipalKey, TenantKey } from '../contracts';
import { CoreErrors } from '../errors/coreErrors';
import { validateRequest } from '../http/validate';
import type { BoundHook } from '../kernel/orderHooks';
import type { GatewayContext, GatewayMiddleware, RouteInfo } from '../kernel/types';
import { API_VERSIONS, VERSION_HEADER, isVersionDate } from './catalog';
import { sunsetOf, versionHeaders, versionTime } from './headers';
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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function applyHeaders(res: ServerResponse, headers: [string, string][]): void {
  for (const [k, v] of headers) {
    // A route's own Link (paging) stays; the deprecation links are added to it.
    if (k === 'link') res.appendHeader(k, v);
    else res.setHeader(k, v);
  }
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

  constructor(
    readonly changes: readonly RegisteredChange[],
    versions: readonly string[] = API_VERSIONS,
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
  }

  /** The version index a request is served at; an unknown `AIHub-Version` header is a 400 naming the known versions. */
  resolve(ctx: Parameters<GatewayMiddleware>[0]): number {
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
          this.enter(ctx);
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
   * schema is validated here, after the upgrade, instead of before the handler.
   */
  wrap(route: RouteInfo, handler: GatewayMiddleware): { route: RouteInfo; handler: GatewayMiddleware } {
    if (!isVersionedPath(route.path)) return { route, handler };
    const latest = this.versions.length - 1;
    const mine = this.changes.filter((c) => c.appliesTo(route));
    // Per version: the request upgrades (oldest change first) and response downgrades (newest first).
    const upgrades = this.versions.map((_, i) =>
      mine
        .filter((c) => this.index.get(c.version)! > i && c.upgradeRequest)
        .sort((a, b) => (a.version < b.version ? -1 : 1)),
    );
    const downgrades = this.versions.map((_, i) =>
      mine
        .filter((c) => this.index.get(c.version)! > i && c.downgradeResponse)
        .sort((a, b) => (a.version < b.version ? 1 : -1)),
    );
    const schema = route.schema;
    const validateHere = schema !== undefined && upgrades.some((u) => u.length > 0);
    const index = this.index;
    const versioned: GatewayMiddleware = (ctx, next) => {
      // Resolved by the hook (resolveHook) on pipeline routes; routes without the pipeline resolve here.
      const known = ApiVersionKey.get(ctx);
      const i = known === undefined ? this.enter(ctx) : index.get(known)!;
      if (i === latest || (upgrades[i].length === 0 && downgrades[i].length === 0)) {
        if (validateHere) validateRequest(ctx, schema);
        return handler(ctx, next);
      }
      for (const c of upgrades[i]) ctx.request.body = c.upgradeRequest!(ctx.request.body, ctx);
      if (validateHere) validateRequest(ctx, schema);
      const down = downgrades[i];
      const after = (): void => {
        let body: unknown = ctx.body;
        if (!isJsonBody(body)) return;
        for (const c of down) body = c.downgradeResponse!(body, ctx);
        ctx.body = body;
      };
      const result = handler(ctx, next);
      if (isThenable(result)) return Promise.resolve(result).then(after);
      after();
      return result;
    };
    return { route: validateHere ? { ...route, schema: undefined } : route, handler: versioned };
  }

  /** Every version, newest first, with its status, dates and changes (`GET /admin/v1/versions`). */
  list(now: number): ApiVersionInfo[] {
    const out: ApiVersionInfo[] = this.versions.map((id, i) => {
      const next = this.versions[i + 1];
      const changes = this.changes
        .filter((c) => c.version === id)
        .map((c) => ({ plugin: c.plugin, description: c.description }));
      if (next === undefined) return { id, status: 'current', released: id, changes };
      const sunset = sunsetOf(next);
      return {
        id,
        status: now >= sunset ? 'sunset' : 'deprecated',
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
