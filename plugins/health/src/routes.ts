import { timingSafeEqual } from 'node:crypto';
import {
  errors,
  PrincipalKey,
  type GatewayContext,
  type PluginContext,
  type PluginRouter,
} from '@aihub/core/plugin-api';
import type { CheckResult } from '@aihub/core/plugin-api';
import type { HealthConfig } from './config';
import { HealthErrors } from './errors';

type Summary = { ok: boolean; checks: CheckResult[] };

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Platform admins only: check names, breaker states, deployments and errors describe the platform. */
const isPlatformAdmin = (c: GatewayContext): boolean => PrincipalKey.get(c)?.superadmin === true;

/**
 * /health/live: the process serves. /health/ready: every readiness check passes; anyone gets only
 * `{"status":"ok"|"unavailable"}`, a platform admin (superadmin credential) also the failing checks
 * and each check's state. /health/details: every check with latency and last error, for the token
 * holder or platform admins (see `details.access`).
 */
export function healthRoutes(router: PluginRouter, ctx: PluginContext<HealthConfig>): void {
  const { config } = ctx;
  let cached: { at: number; result: Promise<Summary> } | undefined;
  const readiness = (): Promise<Summary> => {
    const now = Date.now();
    if (!cached || now - cached.at > config.cacheMs) cached = { at: now, result: ctx.health.run('readiness') };
    return cached.result;
  };

  router.get(
    '/health/live',
    async (c) => {
      const { ok, checks } = await ctx.health.run('liveness');
      c.status = ok ? 200 : 503;
      c.body = {
        status: ok ? 'ok' : 'failing',
        failing: checks.filter((x) => !x.ok).map((x) => `${x.plugin}:${x.name}`),
      };
    },
    { auth: 'none', pipeline: false, summary: 'Liveness: 200 while the process serves' },
  );

  router.get(
    '/health/ready',
    async (c) => {
      // Unauthenticated probes (load balancers) learn ready or not, nothing about the deployment.
      const detailed = isPlatformAdmin(c);
      if (ctx.health.draining) {
        c.status = 503;
        c.body = detailed ? { status: 'draining', failing: [] } : { status: 'unavailable' };
        return;
      }
      const { ok, checks } = await readiness();
      c.status = ok ? 200 : 503;
      c.set('cache-control', 'no-store');
      if (!detailed) {
        c.body = { status: ok ? 'ok' : 'unavailable' };
        return;
      }
      c.body = {
        status: ok ? 'ok' : 'failing',
        failing: checks.filter((x) => !x.ok).map((x) => ({ check: `${x.plugin}:${x.name}`, error: x.error })),
        // Each check's state (e.g. the ai plugin's circuit breakers), without latency or error history.
        checks: Object.fromEntries(
          checks.map((x) => [`${x.plugin}:${x.name}`, { ok: x.ok, ...(x.details ? { details: x.details } : {}) }]),
        ),
      };
    },
    // Optional credentials: a superadmin's key or token adds the details; a probe sends none.
    {
      auth: 'optional',
      summary: 'Readiness: 200 only when every readiness check passes (details for platform admins)',
    },
  );

  const admin = config.details.access === 'admin';
  router.get(
    '/health/details',
    async (c) => {
      if (config.details.access === 'token') {
        const sent = c.get('authorization').replace(/^Bearer\s+/i, '');
        if (!config.details.token)
          throw HealthErrors.create(
            'health_details_disabled',
            'Health details are disabled: set plugins[health].config.details.token, or access: admin.',
          );
        if (!sent || !sameSecret(sent, config.details.token))
          throw errors.unauthorized(
            'Send the health details token as `Authorization: Bearer <token>`.',
            'invalid_token',
          );
      } else if (admin && !isPlatformAdmin(c)) {
        // Platform-wide state: a tenant's admin:read covers its own tenant, not the platform.
        throw errors.forbidden(
          'Health details are for platform admins: use a superadmin key or token.',
          'platform_admin_required',
        );
      }
      const { ok, checks } = await ctx.health.run();
      c.status = ok ? 200 : 503;
      c.body = { status: ctx.health.draining ? 'draining' : ok ? 'ok' : 'failing', checks };
    },
    admin
      ? { auth: 'required', scopes: ['admin:read'], summary: 'Every health check with latency and last error' }
      : { auth: 'none', pipeline: false, summary: 'Every health check with latency and last error' },
  );
}
