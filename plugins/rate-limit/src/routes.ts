import { z } from 'zod';
import {
  AUDIT_LOG,
  CoreErrors,
  PLAN_BOUNDS,
  PrincipalKey,
  TENANT_DIRECTORY,
  authorizeTenant,
  combineBounds,
  enforcePlanBounds,
  requireSubject,
  validated,
  type GatewayContext,
  type PluginContext,
  type PluginRouter,
  type TenantContext,
} from '@aihub/core/plugin-api';
import type { Limits, RateLimitConfig } from './config';
import { RateLimitErrors } from './errors';
import type { PolicyRow, PolicyScope } from './models';
import { limitsOf, type PolicyStore } from './PolicyStore';
import { planBounds } from './resolve';

const limitValue = (what: string) =>
  z.number().int().positive().max(2_000_000_000).nullable().optional().describe(`${what}; null or absent: inherit`);

const limitsBody = z
  .object({
    requestsPerMinute: limitValue('Requests per minute'),
    tokensPerMinute: limitValue('Tokens per minute (prompt + completion)'),
    concurrentRequests: limitValue('Requests in flight at once'),
  })
  .strict();

const limitsOut = z.object({
  requestsPerMinute: z.number().int().optional(),
  tokensPerMinute: z.number().int().optional(),
  concurrentRequests: z.number().int().optional(),
});

const policyOut = z.object({
  tenantId: z.string(),
  scope: z.enum(['tenant', 'team', 'key', 'user']),
  subjectId: z.string(),
  limits: limitsOut,
  updatedBy: z.string().nullable(),
  updatedAt: z.string(),
});

const overviewOut = z.object({
  tenantId: z.string(),
  plan: z.string().nullable(),
  planBounds: limitsOut,
  defaults: limitsOut,
  policies: z.array(policyOut),
});

const id = z.string().min(1).max(128);
const tenantParams = z.object({ tenantId: id }).strict();
const subjectParams = z.object({ tenantId: id, subjectId: id }).strict();

function present(row: PolicyRow) {
  return {
    tenantId: row.tenantId,
    scope: row.scope,
    subjectId: row.subjectId,
    limits: limitsOf(row),
    updatedBy: row.updatedBy,
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** Routes under /admin/v1/tenants/:tenantId: tenant, team, key and user limit policies. */
export function rateLimitRoutes(
  router: PluginRouter,
  ctx: PluginContext<RateLimitConfig>,
  policies: () => PolicyStore,
): void {
  // The tenancy plugin's access control when loaded, else the same role rules on the caller's principal.
  const authorize = (c: GatewayContext, permission: 'limits:read' | 'limits:write', tenantId: string) =>
    authorizeTenant(ctx, c, permission, tenantId);

  /** The tenant (404 when it does not exist, when a directory is available). */
  const tenantOf = async (tenantId: string): Promise<TenantContext | null> => {
    const directory = ctx.tryGet(TENANT_DIRECTORY);
    if (!directory) return null;
    const tenant = await directory.get(tenantId);
    if (!tenant) throw CoreErrors.create('tenant_not_found', `Tenant ${tenantId} does not exist.`);
    return tenant;
  };

  /** What an admin of this tenant may set: PLAN_BOUNDS for the tenant (which includes this plugin's plans), else this plugin's plans. */
  const boundsOf = (tenant: TenantContext | null): Limits =>
    tenant === null
      ? {}
      : combineBounds(ctx.tryGet(PLAN_BOUNDS)?.forTenant(tenant), { limits: planBounds(ctx.config, tenant.plan) })
          .limits;

  router.get(
    '/admin/v1/tenants/:tenantId/limits',
    async (c) => {
      const { tenantId } = validated<unknown, z.output<typeof tenantParams>>(c).params;
      authorize(c, 'limits:read', tenantId);
      const tenant = await tenantOf(tenantId);
      const rows = await policies().list(tenantId);
      c.body = {
        tenantId,
        plan: tenant?.plan ?? null,
        planBounds: strip(boundsOf(tenant)),
        defaults: strip(ctx.config.defaults),
        policies: rows.map(present),
      };
    },
    {
      auth: 'required',
      scopes: ['admin:read'],
      tags: ['admin'],
      summary: "A tenant's limit policies (tenant, teams, keys, users) with its plan's bounds",
      schema: {
        params: tenantParams,
        responses: { 200: overviewOut },
        tag: 'rate-limit',
        operationId: 'getTenantLimits',
      },
    },
  );

  const scopes: { scope: PolicyScope; path: string; what: string }[] = [
    { scope: 'tenant', path: '/admin/v1/tenants/:tenantId/limits', what: 'the tenant' },
    { scope: 'team', path: '/admin/v1/tenants/:tenantId/teams/:subjectId/limits', what: 'a team' },
    { scope: 'key', path: '/admin/v1/tenants/:tenantId/keys/:subjectId/limits', what: 'an API key' },
    { scope: 'user', path: '/admin/v1/tenants/:tenantId/users/:subjectId/limits', what: 'a user' },
  ];
  for (const { scope, path, what } of scopes) {
    const params = scope === 'tenant' ? tenantParams : subjectParams;
    const subjectOf = (p: { tenantId: string; subjectId?: string }) => (scope === 'tenant' ? p.tenantId : p.subjectId!);
    const op = scope.charAt(0).toUpperCase() + scope.slice(1);

    if (scope !== 'tenant') {
      router.get(
        path,
        async (c) => {
          const p = validated<unknown, { tenantId: string; subjectId?: string }>(c).params;
          authorize(c, 'limits:read', p.tenantId);
          const row = await policies().find(p.tenantId, scope, subjectOf(p));
          if (!row)
            throw RateLimitErrors.create(
              'limit_policy_not_found',
              `No limit policy is set for ${scope} ${subjectOf(p)}; it inherits the tenant's limits.`,
            );
          c.body = present(row);
        },
        {
          auth: 'required',
          scopes: ['admin:read'],
          tags: ['admin'],
          summary: `The limit policy of ${what}`,
          schema: { params, responses: { 200: policyOut }, tag: 'rate-limit', operationId: `get${op}Limits` },
        },
      );
    }

    router.put(
      path,
      async (c) => {
        const p = validated<unknown, { tenantId: string; subjectId?: string }>(c).params;
        authorize(c, 'limits:write', p.tenantId);
        const input = c.request.body as z.output<typeof limitsBody>;
        const limits = strip({
          requestsPerMinute: input.requestsPerMinute ?? undefined,
          tokensPerMinute: input.tokensPerMinute ?? undefined,
          concurrentRequests: input.concurrentRequests ?? undefined,
        });
        // The platform's one bound check (PLAN_BOUNDS; superadmins may exceed the plan), then the subject must be the tenant's.
        await enforcePlanBounds(
          ctx,
          c,
          p.tenantId,
          { limits },
          { extra: (plan) => ({ limits: planBounds(ctx.config, plan) }), names: (f) => f.slice('limits.'.length) },
        );
        if (scope !== 'tenant') await requireSubject(ctx, p.tenantId, scope, subjectOf(p));
        const principal = PrincipalKey.get(c);
        const { before, after } = await policies().put(
          p.tenantId,
          scope,
          subjectOf(p),
          limits,
          principal?.subject ?? null,
        );
        await ctx.tryGet(AUDIT_LOG)?.record(c, {
          tenantId: p.tenantId,
          action: 'rate_limit.update',
          targetType: `${scope}_limits`,
          targetId: subjectOf(p),
          before: before ? limitsOf(before) : null,
          after: limitsOf(after),
        });
        c.body = present(after);
      },
      {
        auth: 'required',
        scopes: ['admin:write'],
        tags: ['admin'],
        summary: `Set the limits of ${what} (replaces the previous policy; each value must be within the plan's bounds)`,
        schema: {
          params,
          body: limitsBody,
          responses: { 200: policyOut },
          tag: 'rate-limit',
          operationId: `put${op}Limits`,
        },
      },
    );

    router.delete(
      path,
      async (c) => {
        const p = validated<unknown, { tenantId: string; subjectId?: string }>(c).params;
        authorize(c, 'limits:write', p.tenantId);
        const removed = await policies().remove(p.tenantId, scope, subjectOf(p));
        if (!removed)
          throw RateLimitErrors.create(
            'limit_policy_not_found',
            `No limit policy is set for ${scope} ${subjectOf(p)}.`,
          );
        await ctx.tryGet(AUDIT_LOG)?.record(c, {
          tenantId: p.tenantId,
          action: 'rate_limit.delete',
          targetType: `${scope}_limits`,
          targetId: subjectOf(p),
          before: limitsOf(removed),
          after: null,
        });
        c.status = 204;
      },
      {
        auth: 'required',
        scopes: ['admin:write'],
        tags: ['admin'],
        summary: `Remove the limits of ${what} (it inherits the next level's again)`,
        schema: { params, responses: { 204: null }, tag: 'rate-limit', operationId: `delete${op}Limits` },
      },
    );
  }
}

/** Drops undefined values (for JSON output and equality). */
function strip(limits: Limits): Limits {
  const out: Limits = {};
  if (limits.requestsPerMinute !== undefined) out.requestsPerMinute = limits.requestsPerMinute;
  if (limits.tokensPerMinute !== undefined) out.tokensPerMinute = limits.tokensPerMinute;
  if (limits.concurrentRequests !== undefined) out.concurrentRequests = limits.concurrentRequests;
  return out;
}
