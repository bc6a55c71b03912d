import { z } from 'zod';
import {
  CoreErrors,
  TENANT_DIRECTORY,
  authorizeTenant,
  validated,
  type PluginContext,
  type PluginRouter,
} from '@aihub/core/plugin-api';
import type { RateLimitConfig } from './config';
import type { PolicyStore } from './PolicyStore';
import { peekScript } from './scripts';

/** Most counters one call reads (a tenant with more policies sees the first ones, and `truncated`). */
const MAX_SUBJECTS = 500;

const params = z.object({ tenantId: z.string().min(1).max(128) }).strict();

const counterOut = z.object({
  scope: z.enum(['tenant', 'team', 'key', 'user', 'model']),
  subjectId: z.string().describe('The tenant, team, key or user id, or the model name'),
  requests: z.number().int().describe('Requests counted in the current window'),
  tokens: z.number().int().describe('Tokens counted (reserved, then reconciled) in the current window'),
  concurrent: z.number().int().describe('Requests in flight now'),
});

const usageOut = z.object({
  tenantId: z.string(),
  windowSeconds: z.number().int(),
  resetMs: z.number().int().describe('Milliseconds until the current window ends'),
  counters: z.array(counterOut),
  truncated: z.boolean(),
});

/** The store subject of a level, as `resolve` builds it (the counters' key prefix). */
function subjectKey(tenantId: string, scope: z.output<typeof counterOut>['scope'], id: string): string {
  switch (scope) {
    case 'tenant':
      return tenantId;
    case 'key':
      return `${tenantId}:k:${id}`;
    case 'user':
      return `${tenantId}:u:${id}`;
    case 'team':
      return `${tenantId}:g:${id}`;
    case 'model':
      return `${tenantId}:m:${id}`;
  }
}

/**
 * `GET /admin/v1/tenants/:tenantId/limits/usage`: what each of the tenant's limits has used in the
 * current window — the tenant counter, every team, key and user with a policy, and every model with
 * configured limits. A dimension is counted only where a limit applies, so an unlimited one reads 0.
 */
export function rateLimitUsageRoute(
  router: PluginRouter,
  ctx: PluginContext<RateLimitConfig>,
  policies: () => PolicyStore,
): void {
  router.get(
    '/admin/v1/tenants/:tenantId/limits/usage',
    async (c) => {
      const { tenantId } = validated<unknown, z.output<typeof params>>(c).params;
      authorizeTenant(ctx, c, 'limits:read', tenantId);
      const directory = ctx.tryGet(TENANT_DIRECTORY);
      if (directory && !(await directory.get(tenantId)))
        throw CoreErrors.create('tenant_not_found', `Tenant ${tenantId} does not exist.`);
      const subjects: { scope: z.output<typeof counterOut>['scope']; subjectId: string }[] = [
        { scope: 'tenant', subjectId: tenantId },
      ];
      for (const row of await policies().list(tenantId))
        if (row.scope !== 'tenant') subjects.push({ scope: row.scope, subjectId: row.subjectId });
      for (const model of Object.keys(ctx.config.models)) subjects.push({ scope: 'model', subjectId: model });
      const windowMs = ctx.config.windowSeconds * 1000;
      const shown = subjects.slice(0, MAX_SUBJECTS);
      let resetMs = windowMs;
      const counters = await Promise.all(
        shown.map(async (s) => {
          const key = subjectKey(tenantId, s.scope, s.subjectId);
          const [requests, tokens, concurrent, reset] = await ctx.store.runScript(
            peekScript,
            [`r:${key}`, `t:${key}`, `c:${key}`],
            [windowMs],
          );
          resetMs = Number(reset);
          return { ...s, requests: Number(requests), tokens: Number(tokens), concurrent: Number(concurrent) };
        }),
      );
      c.body = {
        tenantId,
        windowSeconds: ctx.config.windowSeconds,
        resetMs,
        counters,
        truncated: subjects.length > shown.length,
      };
    },
    {
      auth: 'required',
      scopes: ['admin:read'],
      tags: ['admin'],
      summary: "What each of a tenant's limits (tenant, teams, keys, users, models) has used in the current window",
      schema: { params, responses: { 200: usageOut }, tag: 'rate-limit', operationId: 'getTenantLimitUsage' },
    },
  );
}
