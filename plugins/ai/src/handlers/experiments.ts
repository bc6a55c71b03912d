import {
  ACCESS_CONTROL,
  PrincipalKey,
  errors,
  validated,
  type GatewayContext,
  type GatewayMiddleware,
  CoreErrors,
} from '@aihub/core/plugin-api';
import { z } from 'zod';
import { twoProportionZ } from '../stats/significance';
import type { AiContext } from '../runtime';

export const experimentParams = z.object({ tenantId: z.string().min(1).max(64) });
export const experimentQuery = z.object({
  since: z.iso.datetime({ offset: true }).optional().describe('Count from this time (ISO-8601; default: 30 days ago)'),
});

const variantView = z.object({
  name: z.string(),
  weight: z.number(),
  configured: z.boolean().describe('Still in the configuration (false: only in past data)'),
  requests: z.number(),
  errors: z.number(),
  error_rate: z.number().nullable(),
  avg_latency_ms: z.number().nullable(),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  cost_micros: z.number(),
  feedback: z.object({ count: z.number(), avg_score: z.number().nullable() }),
  significance: z
    .object({
      test: z.literal('two_proportion_z').describe('Pooled two-proportion z-test, two-sided'),
      metric: z.literal('error_rate'),
      baseline: z.string().describe('The variant compared against (the experiment’s first variant)'),
      z: z.number().nullable(),
      p_value: z.number().nullable().describe('Null when either side has no requests or no variance'),
      significant: z.boolean().describe('p_value < 0.05'),
    })
    .nullable()
    .describe('This variant’s error rate against the baseline; null on the baseline itself'),
});
export const experimentsView = z.object({
  tenant_id: z.string(),
  since: z.string(),
  experiments: z.array(
    z.object({
      name: z.string(),
      alias: z.string().nullable(),
      sticky_by: z.string().nullable(),
      enabled: z.boolean(),
      variants: z.array(variantView),
    }),
  ),
});

/**
 * Authorization without the tenancy plugin: authenticated, in the tenant (or superadmin; else 404 so
 * other tenants stay invisible), with a role or the admin:read scope. With tenancy loaded, its
 * AccessControl decides (`experiments:read`).
 */
export function authorize(ctx: AiContext, c: GatewayContext, tenantId: string): void {
  const access = ctx.tryGet(ACCESS_CONTROL);
  if (access) {
    access.authorize(c, 'experiments:read', tenantId);
    return;
  }
  const p = PrincipalKey.get(c);
  if (!p) throw errors.unauthorized();
  if (p.superadmin) return;
  if (p.tenantId !== tenantId) throw errors.notFound(`Tenant ${tenantId} was not found.`, 'tenant_not_found');
  if (!p.role && !p.scopes.includes('admin:read') && !p.scopes.includes('admin:write')) {
    throw CoreErrors.create(
      'permission_denied',
      'This credential may not read experiments in this tenant; it needs a tenant role or the admin:read scope.',
    );
  }
}

const DAY = 86_400_000;

/** GET /admin/v1/tenants/:tenantId/experiments: per experiment and variant, what the tenant's requests did. */
export function experimentSummary(ctx: AiContext): GatewayMiddleware {
  return async (c) => {
    const rt = ctx.runtime;
    const v = validated<z.output<typeof experimentQuery>, z.output<typeof experimentParams>>(c);
    const tenantId = v.params.tenantId;
    authorize(ctx, c, tenantId);
    const since = v.query.since ? Date.parse(v.query.since) : Date.now() - 30 * DAY;
    await rt.requestLog?.flush();
    const rows = await rt.feedback.summary(tenantId, since);
    const configured = new Map(rt.catalogConfig.experiments.map((e) => [e.name, e]));
    const names = [...new Set([...configured.keys(), ...rows.map((r) => r.experiment)])].sort();
    const experiments = names.map((name) => {
      const cfg = configured.get(name);
      const variantNames = [
        ...new Set([
          ...(cfg?.variants.map((x) => x.name) ?? []),
          ...rows.filter((r) => r.experiment === name).map((r) => r.variant),
        ]),
      ];
      const rowOf = (vn: string) => rows.find((x) => x.experiment === name && x.variant === vn);
      const baseline = variantNames[0];
      const base = baseline === undefined ? undefined : rowOf(baseline);
      return {
        name,
        alias: cfg?.alias ?? null,
        sticky_by: cfg?.stickyBy ?? null,
        enabled: cfg?.enabled ?? false,
        variants: variantNames.map((vn) => {
          const r = rowOf(vn);
          const vc = cfg?.variants.find((x) => x.name === vn);
          const requests = r?.requests ?? 0;
          return {
            name: vn,
            weight: vc?.weight ?? 0,
            configured: vc !== undefined,
            requests,
            errors: r?.errors ?? 0,
            error_rate: requests ? r!.errors / requests : null,
            avg_latency_ms: requests ? Math.round(r!.latencyMsSum / requests) : null,
            prompt_tokens: r?.promptTokens ?? 0,
            completion_tokens: r?.completionTokens ?? 0,
            cost_micros: r?.costMicros ?? 0,
            feedback: {
              count: r?.feedbackCount ?? 0,
              avg_score: r?.feedbackCount ? r.feedbackScoreSum / r.feedbackCount : null,
            },
            significance:
              vn === baseline
                ? null
                : twoProportionZ(baseline!, base?.errors ?? 0, base?.requests ?? 0, r?.errors ?? 0, requests),
          };
        }),
      };
    });
    c.body = { tenant_id: tenantId, since: new Date(since).toISOString(), experiments };
  };
}
