import type { GatewayContext, RouteInfo } from '../kernel/types';

/**
 * One backwards-incompatible (or opt-in) change of AI Hub's own API, made at `version` (Stripe's
 * "version change" modules). The handlers always run the newest code path; a request made at an
 * older version is upgraded by every change newer than its version, oldest first, before the
 * handler, and the handler's JSON answer is downgraded by the same changes, newest first.
 */
export interface VersionChange {
  /** The API version (a date in the catalog, `YYYY-MM-DD`) that introduced the change. */
  version: string;
  /** One sentence for the changelog (`GET /admin/v1/versions`): what a caller at this version sees differently. */
  description: string;
  /** The routes the change concerns, decided at boot: other routes never pay for it. */
  appliesTo: (route: Readonly<RouteInfo>) => boolean;
  /**
   * The request body as a caller at the previous version sends it → as this version's handler
   * expects it. Runs once the version is resolved (last in `request.authorize`), so the hooks after it
   * (request transforms, the cache's key) and the route's schema validation all see the upgraded body.
   * Return the new body (or mutate and return it).
   */
  upgradeRequest?: (body: unknown, ctx: GatewayContext) => unknown;
  /**
   * The JSON answer as this version returns it → as the previous version returned it. Only JSON
   * bodies (objects and arrays) are passed; streams and raw bodies are left alone.
   */
  downgradeResponse?: (body: unknown, ctx: GatewayContext) => unknown;
  /**
   * One event of a streamed answer (`text/event-stream`, the handler's stream or a cache hit's
   * replay) as this version sends it → as the previous version sent it: the parsed JSON of the
   * event's `data:`. Return the event, or `null` to drop it. Events whose data is not JSON
   * (`[DONE]`) and error events (an object with an `error` member) are passed on untouched.
   * Applied to older versions only, newest change first.
   */
  downgradeEvent?: (event: unknown, ctx: GatewayContext) => unknown;
}

/** A version of the API as `GET /admin/v1/versions` lists it. */
export interface ApiVersionInfo {
  id: string;
  status: 'current' | 'deprecated' | 'sunset';
  released: string;
  /** When it became deprecated (the next version's release), absent for the current one. */
  deprecated?: string;
  /** When it stops being served (RFC 8594), absent for the current one. */
  sunset?: string;
  /**
   * Whether a request at this version is answered: false past the sunset (a 410 `api_version_sunset`)
   * unless the operator keeps serving it (`versioning.serveAfterSunset`, `versioning.sunsetGraceDays`).
   */
  served: boolean;
  changes: { plugin: string; description: string }[];
}
