import {
  actorOf,
  errors,
  PrincipalKey,
  validated,
  type AiAliasState,
  type AiControl,
  type AiDeploymentState,
  type GatewayContext,
  type PluginRouter,
} from '@aihub/core/plugin-api';
import { z } from 'zod';
import { RULE_DRAIN } from './Engine';
import { OpsErrors } from './errors';
import { readProbeProgress } from './probeProgress';
import { ACTIONS, ruleSchema, type Rule } from './rules';
import type { OpsRuntime } from './runtime';

const tag = 'ops';
const nameParams = z.object({ name: z.string().min(1).max(64) }).strict();
const eventsQuery = z
  .object({
    rule: z.string().max(64).optional(),
    action: z.enum([...ACTIONS]).optional(),
    outcome: z.enum(['acted', 'dry_run', 'capped', 'failed']).optional(),
    limit: z.coerce.number().int().min(1, 'limit must be 1 to 200').max(200, 'limit must be 1 to 200').default(50),
    cursor: z.string().max(200).optional().describe('next_cursor of the previous page'),
  })
  .strict();

const ruleOut = ruleSchema.extend({ source: z.enum(['config', 'api']) });
const eventOut = z.object({
  id: z.string(),
  created_at: z.string(),
  rule: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.enum(['acted', 'dry_run', 'capped', 'failed']),
  reason: z.string(),
  signal: z.string().nullable(),
  value: z.number().nullable(),
  instance: z.string(),
  error: z.string().nullable(),
  revision: z
    .number()
    .int()
    .nullable()
    .describe(
      "The ai plugin's catalog revision recording the routing change (its diff: GET /admin/v1/ai/catalog/revisions/{revision}/diff); null for other actions, dry runs, capped and failed decisions",
    ),
});

const depOut = z.object({
  id: z.string(),
  provider: z.string(),
  model: z.string(),
  aliases: z.array(z.string()),
  breaker: z.enum(['closed', 'half-open', 'open']),
  forcedBreaker: z.enum(['open', 'closed']).nullable().describe('Held open or closed by hand or by a rule'),
  drained: z
    .object({ reason: z.string(), at: z.string().describe('When it was drained') })
    .nullable()
    .describe('Routing skips it on every instance until restored'),
});
const probeProgressOut = z
  .object({
    streak: z.number().int().describe('Healthy probes in a row so far (a failure starts again from 0)'),
    required: z.number().int().describe('Healthy probes in a row that restore it (probe.successes)'),
    lastResult: z.enum(['ok', 'failed']).nullable().describe('The last probe; null before the first'),
    lastStatus: z.number().int().nullable().describe("The upstream's HTTP status on the last probe"),
    lastError: z.string().nullable().describe('What failed on the last probe (status, timeout, connection)'),
    lastAt: z.string().nullable().describe('When the last probe ran'),
  })
  .describe('Progress of the probe towards restoring it, the same on every instance');
const stateDepOut = depOut.extend({
  probing: z
    .boolean()
    .describe('Drained by a rule and probed: restored on its own after probe.successes healthy probes in a row'),
  probe: probeProgressOut.nullable().describe('Set while probing'),
});
const aliasOut = z.object({
  alias: z.string(),
  fallbacks: z.array(z.string()),
  switchedToFallback: z.boolean().describe('Traffic goes to the fallbacks first'),
  weights: z.record(z.string(), z.number()).describe('Effective weight per deployment (configured unless overridden)'),
  configuredWeights: z
    .record(z.string(), z.number())
    .describe('Configured weight per deployment (the catalog’s, without control overrides)'),
  overridden: z.array(z.string()).describe('Deployments whose weight a rule or an operator overrode'),
});
const stateOut = z.object({
  object: z.literal('ops.state'),
  enabled: z.boolean(),
  dry_run: z.boolean(),
  leader: z.string().nullable().describe('The instance that evaluates rules and probes'),
  instance: z.string().describe('The instance that answered'),
  probe: z.object({ enabled: z.boolean(), intervalMs: z.number(), successes: z.number() }),
  deployments: z.array(stateDepOut),
  aliases: z.array(aliasOut),
});

/** Platform setting: superadmins only, `admin:read` to read and `admin:write` to change. */
function superadmin(c: GatewayContext, write: boolean): void {
  const p = PrincipalKey.get(c);
  if (!p) throw errors.unauthorized();
  const scope = write ? 'admin:write' : 'admin:read';
  if (!p.superadmin || !p.scopes.includes(scope)) throw OpsErrors.create('ops_superadmin_only');
}

/** Checks that the rule's fixed targets exist (a rule acting on its signal's subject is checked when it fires). */
function checkTargets(rt: OpsRuntime, rule: Rule): void {
  const a = rule.action;
  if (a.webhook && !rt.ctx.config.webhooks[a.webhook])
    throw OpsErrors.create(
      'invalid_rule_target',
      `Webhook "${a.webhook}" is not configured in the ops plugin's webhooks.`,
      { param: 'action.webhook' },
    );
  const ai = rt.ai();
  if (!ai) return;
  const deps = new Set(ai.deployments().map((d) => d.id));
  const aliases = new Set(ai.aliases().map((x) => x.alias));
  const isDep = ['drain', 'restore', 'force_breaker', 'set_weight'].includes(a.type);
  if (a.target && isDep && !deps.has(a.target))
    throw OpsErrors.create(
      'invalid_rule_target',
      `Deployment "${a.target}" is not one of the ai plugin's (${[...deps].join(', ')}).`,
      { param: 'action.target' },
    );
  if (a.target && a.type === 'switch_fallback' && !aliases.has(a.target))
    throw OpsErrors.create('invalid_rule_target', `Model alias "${a.target}" is not one of the ai plugin's.`, {
      param: 'action.target',
    });
  if (a.alias && !aliases.has(a.alias))
    throw OpsErrors.create('invalid_rule_target', `Model alias "${a.alias}" is not one of the ai plugin's.`, {
      param: 'action.alias',
    });
}

/** `/admin/v1/ops/rules` (CRUD; config rules read-only), `/admin/v1/ops/events` and `/admin/v1/ops/state`. */
export function opsRoutes(router: PluginRouter, rt: () => OpsRuntime): void {
  const opts = (summary: string, write: boolean, schema: Record<string, unknown>) => ({
    scopes: [write ? 'admin:write' : 'admin:read'],
    tags: ['admin'],
    summary,
    schema: { tag, ...schema },
  });

  router.get(
    '/admin/v1/ops/rules',
    async (c) => {
      superadmin(c, false);
      c.body = { object: 'list', data: await rt().rules.all() };
    },
    opts('List automation rules (from config and the API)', false, {
      responses: { 200: z.object({ object: z.literal('list'), data: z.array(ruleOut) }) },
      operationId: 'listOpsRules',
    }),
  );

  router.post(
    '/admin/v1/ops/rules',
    async (c) => {
      superadmin(c, true);
      const r = rt();
      const rule = c.request.body as Rule;
      checkTargets(r, rule);
      if (r.rules.isConfigRule(rule.name) || !(await r.rules.put(rule, actorOf(c), true)))
        throw OpsErrors.create('rule_exists', `A rule named "${rule.name}" exists already.`, { param: 'name' });
      await r.audit(c, 'ops_rule.create', rule.name, undefined, rule);
      c.status = 201;
      c.body = { ...rule, source: 'api' };
    },
    opts('Create an automation rule', true, {
      body: ruleSchema,
      responses: { 201: ruleOut },
      operationId: 'createOpsRule',
    }),
  );

  router.get(
    '/admin/v1/ops/rules/:name',
    async (c) => {
      superadmin(c, false);
      const { name } = validated<unknown, z.output<typeof nameParams>>(c).params;
      const rule = await rt().rules.get(name);
      if (!rule) throw OpsErrors.create('rule_not_found', `No rule is named "${name}".`);
      c.body = rule;
    },
    opts('Get an automation rule', false, {
      params: nameParams,
      responses: { 200: ruleOut },
      operationId: 'getOpsRule',
    }),
  );

  router.put(
    '/admin/v1/ops/rules/:name',
    async (c) => {
      superadmin(c, true);
      const r = rt();
      const { name } = validated<unknown, z.output<typeof nameParams>>(c).params;
      const rule = c.request.body as Rule;
      if (rule.name !== name)
        throw errors.badRequest(
          `The body's name "${rule.name}" differs from the path's "${name}"; a rule cannot be renamed (create a new one).`,
          'validation_failed',
          'name',
        );
      if (r.rules.isConfigRule(name))
        throw OpsErrors.create('rule_from_config', `Rule "${name}" is defined in config.`);
      checkTargets(r, rule);
      const before = await r.rules.get(name);
      if (!before || !(await r.rules.put(rule, actorOf(c), false)))
        throw OpsErrors.create('rule_not_found', `No rule is named "${name}".`);
      await r.audit(c, 'ops_rule.update', name, before, rule);
      c.body = { ...rule, source: 'api' };
    },
    opts('Replace an automation rule (API rules only)', true, {
      params: nameParams,
      body: ruleSchema,
      responses: { 200: ruleOut },
      operationId: 'replaceOpsRule',
    }),
  );

  router.delete(
    '/admin/v1/ops/rules/:name',
    async (c) => {
      superadmin(c, true);
      const r = rt();
      const { name } = validated<unknown, z.output<typeof nameParams>>(c).params;
      if (r.rules.isConfigRule(name))
        throw OpsErrors.create('rule_from_config', `Rule "${name}" is defined in config.`);
      const before = await r.rules.get(name);
      if (!before || !(await r.rules.delete(name)))
        throw OpsErrors.create('rule_not_found', `No rule is named "${name}".`);
      await r.audit(c, 'ops_rule.delete', name, before, undefined);
      c.status = 204;
    },
    opts('Delete an automation rule (API rules only)', true, {
      params: nameParams,
      responses: { 204: null },
      operationId: 'deleteOpsRule',
    }),
  );

  router.get(
    '/admin/v1/ops/events',
    async (c) => {
      superadmin(c, false);
      const { query } = validated<z.output<typeof eventsQuery>>(c);
      const page = await rt().events.list(query);
      c.body = { object: 'list', ...page };
    },
    opts('Automation decisions and actions with their reasons, newest first', false, {
      query: eventsQuery,
      responses: {
        200: z.object({ object: z.literal('list'), data: z.array(eventOut), next_cursor: z.string().nullable() }),
      },
      operationId: 'listOpsEvents',
    }),
  );

  const drainBody = z
    .object({ reason: z.string().min(1).max(500).describe('Why (kept with the drain and in the events)') })
    .strict();
  controlRoute(router, rt, opts, DEPLOYMENT, {
    verb: 'drain',
    action: 'drain',
    body: drainBody,
    summary: 'Drain a deployment on every instance (never restored by probes)',
    operationId: 'drainDeployment',
    async act({ ai, id, body, author }) {
      const { reason } = body;
      const { revision } = await ai.drain(id, `by hand: ${reason}`, { author, reason });
      return { reason, after: { reason }, revision };
    },
  });
  controlRoute(router, rt, opts, DEPLOYMENT, {
    verb: 'restore',
    action: 'restore',
    summary: 'Restore a drained deployment on every instance',
    operationId: 'restoreDeployment',
    async act({ r, ai, id, author }) {
      const reason = 'restored by hand';
      const { revision } = await r.engine.restore(ai, id, { author, reason });
      return { reason, after: { reason }, revision };
    },
  });

  router.get(
    '/admin/v1/ops/state',
    async (c) => {
      superadmin(c, false);
      const r = rt();
      const ai = r.ai();
      const probe = r.ctx.config.probe;
      const deployments = (ai?.deployments() ?? []).map((d) => ({
        ...d,
        // The same test the engine's probe loop makes: drains by rules are probed, drains by hand never.
        probing:
          probe.enabled && !!d.drained?.reason.startsWith(RULE_DRAIN) && !d.drained.reason.includes(' (no probe)'),
      }));
      const probed = deployments.filter((d) => d.probing).map((d) => ({ id: d.id, drainedAt: d.drained!.at }));
      const progress = await readProbeProgress(r.ctx.store, probed);
      c.body = {
        object: 'ops.state',
        enabled: r.ctx.config.enabled,
        dry_run: r.ctx.config.dryRun,
        leader: (await r.ctx.store.get('leader')) ?? null,
        instance: r.id,
        probe: { enabled: probe.enabled, intervalMs: probe.intervalMs, successes: probe.successes },
        deployments: deployments.map((d) => {
          if (!d.probing) return { ...d, probe: null };
          const p = progress.get(d.id);
          return {
            ...d,
            probe: {
              streak: p?.streak ?? 0,
              required: probe.successes,
              lastResult: p?.lastResult ?? null,
              lastStatus: p?.lastStatus ?? null,
              lastError: p?.lastError ?? null,
              lastAt: p?.lastAt ?? null,
            },
          };
        }),
        aliases: ai?.aliases() ?? [],
      };
    },
    opts('Drained deployments, weights, forced breakers and fallback switches now, and which instance leads', false, {
      responses: { 200: stateOut },
      operationId: 'getOpsState',
    }),
  );

  manualControlRoutes(router, rt, opts);
}

type RouteOpts = (summary: string, write: boolean, schema: Record<string, unknown>) => Record<string, unknown>;

/** What a control route acts on: its path segment, path parameter and the ai plugin's view of it. */
interface ControlTarget<V> {
  /** Audit subject: `ops_<name>.<action>`. */
  name: 'deployment' | 'alias';
  /** `/admin/v1/ops/<segment>/:<param>/…` */
  segment: string;
  param: string;
  params: z.ZodType;
  /** The answer: the target's state after the change. */
  out: z.ZodType;
  find(ai: AiControl, id: string): V | undefined;
  missing(id: string): string;
}

const DEPLOYMENT: ControlTarget<AiDeploymentState> = {
  name: 'deployment',
  segment: 'deployments',
  param: 'id',
  params: z.object({ id: z.string().min(1).max(200) }).strict(),
  out: depOut,
  find: (ai, id) => ai.deployments().find((d) => d.id === id),
  missing: (id) => `Deployment "${id}" is not one of the ai plugin's.`,
};

const ALIAS: ControlTarget<AiAliasState> = {
  name: 'alias',
  segment: 'aliases',
  param: 'alias',
  params: z.object({ alias: z.string().min(1).max(200) }).strict(),
  out: aliasOut,
  find: (ai, alias) => ai.aliases().find((a) => a.alias === alias),
  missing: (alias) => `Model alias "${alias}" is not one of the ai plugin's.`,
};

/** One operator control: the change it makes, recorded as a manual event and audited. */
interface ControlSpec<V, B> {
  /** The path's last segment(s): `/admin/v1/ops/<segment>/:<param>/<verb>`. */
  verb: string;
  /** The event's action (and the audit's `ops_<target>.<action>`). */
  action: string;
  body?: z.ZodType<B>;
  summary: string;
  operationId: string;
  /** Makes the change; answers the reason recorded, what the audit shows after it, and the catalog revision. */
  act(a: {
    r: OpsRuntime;
    ai: AiControl;
    id: string;
    found: V;
    body: B;
    author: string | undefined;
  }): Promise<{ reason: string; after: unknown; revision: number | null }>;
}

/**
 * Registers a control route: superadmins with `admin:write`; the target must be one of the ai
 * plugin's (`invalid_rule_target` naming the path parameter otherwise); the change is recorded as
 * an event of rule `manual` with its catalog revision and in the audit log; the answer is the
 * target's state after the change.
 */
function controlRoute<V, B>(
  router: PluginRouter,
  rt: () => OpsRuntime,
  opts: RouteOpts,
  target: ControlTarget<V>,
  spec: ControlSpec<V, B>,
): void {
  router.post(
    `/admin/v1/ops/${target.segment}/:${target.param}/${spec.verb}`,
    async (c) => {
      superadmin(c, true);
      const r = rt();
      const id = validated<unknown, Record<string, string>>(c).params[target.param];
      const ai = r.ai();
      const found = ai && target.find(ai, id);
      if (!ai || !found) throw OpsErrors.create('invalid_rule_target', target.missing(id), { param: target.param });
      const { reason, after, revision } = await spec.act({
        r,
        ai,
        id,
        found,
        body: c.request.body as B,
        // The catalog revision names the operator who asked.
        author: actorOf(c) ?? undefined,
      });
      await r.events.record({
        rule: 'manual',
        action: spec.action,
        target: id,
        outcome: 'acted',
        reason,
        signal: null,
        value: null,
        instance: r.id,
        error: null,
        revision,
      });
      await r.audit(c, `ops_${target.name}.${spec.action}`, id, undefined, after);
      c.body = target.find(ai, id);
    },
    opts(spec.summary, true, {
      params: target.params,
      ...(spec.body ? { body: spec.body } : {}),
      responses: { 200: target.out },
      operationId: spec.operationId,
    }),
  );
}

/**
 * The console's undo buttons for what rules (or people) changed: release or force a breaker, switch
 * an alias to its fallbacks or back, and return an alias' weights to their configured values.
 */
function manualControlRoutes(router: PluginRouter, rt: () => OpsRuntime, opts: RouteOpts): void {
  const breakerBody = z
    .object({ state: z.enum(['open', 'closed', 'auto']).describe('Hold open, hold closed, or let it decide (auto)') })
    .strict();
  const fallbackBody = z
    .object({ on: z.boolean().describe('true: traffic to the fallbacks first; false: back to its own deployments') })
    .strict();

  controlRoute(router, rt, opts, DEPLOYMENT, {
    verb: 'breaker',
    action: 'force_breaker',
    body: breakerBody,
    summary: "Hold a deployment's circuit breaker open or closed on every instance, or release it (auto)",
    operationId: 'forceDeploymentBreaker',
    async act({ ai, id, body, author }) {
      const { revision } = await ai.forceBreaker(id, body.state === 'auto' ? null : body.state, { author });
      const reason = body.state === 'auto' ? 'breaker released by hand' : `breaker held ${body.state} by hand`;
      return { reason, after: body, revision };
    },
  });

  controlRoute(router, rt, opts, ALIAS, {
    verb: 'fallback',
    action: 'switch_fallback',
    body: fallbackBody,
    summary:
      "Send an alias' traffic to its fallbacks first (on) or back to its own deployments (off), on every instance",
    operationId: 'switchAliasFallback',
    async act({ ai, id, found, body, author }) {
      if (body.on && found.fallbacks.length === 0)
        throw errors.badRequest(`Model alias "${id}" has no fallbacks to switch to.`, 'validation_failed', 'on');
      const { revision } = await ai.switchToFallback(id, body.on, { author });
      const reason = body.on ? 'switched to its fallbacks by hand' : 'switched back to its own deployments by hand';
      return { reason, after: body, revision };
    },
  });

  controlRoute(router, rt, opts, ALIAS, {
    verb: 'weights/reset',
    action: 'set_weight',
    summary: 'Return every weight of an alias to its configured value, on every instance',
    operationId: 'resetAliasWeights',
    async act({ ai, id, found, author }) {
      let revision: number | null = null;
      for (const dep of Object.keys(found.weights))
        ({ revision } = await ai.setWeight(id, dep, null, { author, reason: 'weights reset by hand' }));
      // The last revision: the one where every weight is the configured one again.
      return { reason: 'weights reset to the configured ones by hand', after: { weights: 'configured' }, revision };
    },
  });
}
