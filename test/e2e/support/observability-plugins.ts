import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { AiCallKey, USAGE_TOPIC, definePlugin, type PluginDefinition, type UsageRecord } from '@aihub/core/plugin-api';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The route tag of the probe routes; the rate-limit plugin is configured to limit it. */
export const PROBE_TAG = 'obs-probe';
/** Requests per minute the rate-limit plugin allows on probe routes, so a burst gets `limited` decisions. */
export const PROBE_RPM = 5;

/**
 * A plugin of the test's own: routes with a request hook (so traces show a per-plugin hook span), one
 * route whose hook throws (`aihub_plugin_hook_errors_total`, 5xx for the error-ratio panels) and
 * tagged routes the rate-limit plugin limits.
 */
export const probePlugin = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'obs-probe',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Observability test probe',
  hooks: [
    {
      name: 'probe',
      phase: 'request.transform',
      appliesTo: (route) => route.path.startsWith('/plugins/obs-probe/'),
      async handle(c, next) {
        if (c.path.endsWith('/boom')) throw new Error('obs-probe: deliberate hook failure');
        await next();
      },
    },
  ],
  routes(router) {
    const ok = (c: { body: unknown }) => {
      c.body = { ok: true };
    };
    router.get('/ok', ok, { auth: 'none', summary: 'probe' });
    router.get('/boom', ok, { auth: 'none', summary: 'probe whose hook throws' });
    router.get('/limited', ok, { auth: 'none', tags: [PROBE_TAG], summary: 'probe limited by rate-limit' });
    router.get('/marker', ok, { auth: 'none', summary: 'last request of a traffic run' });
    router.post('/echo', ok, {
      auth: 'none',
      body: 'json',
      summary: 'probe with a body (the example plugin limits its size)',
    });
  },
});

/** Tenant id on the stand-in's usage records: its spend crosses the usage plugin's default soft budget. */
export const STANDIN_TENANT = 'ten_observability_probe';
/** Cost of one stand-in completion (micro-dollars) and the daily soft budget it crosses. */
export const STANDIN_COST_MICROS = 5_000;
export const STANDIN_SOFT_BUDGET_MICROS = 1_000;

/**
 * A stand-in for the ai plugin while it is not written: `POST /v1/chat/completions` (tagged `ai`, like
 * the real route) answers an OpenAI-shaped completion, reports the call in AiCallKey and publishes
 * its UsageRecord, as the ai plugin does. The cache and usage plugins then work on real requests. Loaded
 * only when there is no ai plugin (the real one owns the route).
 */
export const aiStandInPlugin = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'obs-ai-stand-in',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Observability test stand-in for the ai plugin',
  routePrefix: '',
  routes(router, ctx) {
    router.post(
      '/v1/chat/completions',
      (c) => {
        const body = c.request.body as { model?: string };
        const model = typeof body?.model === 'string' ? body.model : 'gpt-4o-mini';
        const usage = { promptTokens: 12, completionTokens: 3, cachedTokens: 0, totalTokens: 15, estimated: false };
        c.body = {
          id: `chatcmpl-${randomUUID()}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [
            { index: 0, message: { role: 'assistant', content: 'pong' }, finish_reason: 'stop', logprobs: null },
          ],
          usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
        };
        AiCallKey.set(c, {
          endpoint: 'chat.completions',
          model,
          stream: false,
          provider: 'stand-in',
          resolvedModel: model,
          usage,
          costMicros: STANDIN_COST_MICROS,
        });
        const record: UsageRecord = {
          requestId: (c.state as { requestId: string }).requestId,
          timestamp: new Date().toISOString(),
          tenantId: STANDIN_TENANT,
          keyId: null,
          userId: null,
          teamId: null,
          endpoint: 'chat.completions',
          model,
          resolvedModel: model,
          provider: 'stand-in',
          deployment: null,
          experiment: null,
          variant: null,
          ...usage,
          costMicros: STANDIN_COST_MICROS,
          priced: true,
          latencyMs: 1,
          ttftMs: null,
          status: 'success',
          httpStatus: 200,
          errorCode: null,
          cacheHit: false,
          stream: false,
        };
        ctx.queue.publish(USAGE_TOPIC, record);
      },
      { auth: 'none', body: 'json', tags: ['ai'], summary: 'stand-in chat completion' },
    );
  },
});

/**
 * The bootstrap superadmin key the auth plugin creates on first start (`ahk_<12>_<43>` base62): AI
 * requests carry it, so they belong to the default tenant (budgets) and pass `ai:invoke`.
 */
export const ADMIN_KEY = 'ahk_ObsProbe0001_' + 'DashboardsCheckKey0123456789abcdefghijKLMNO'.slice(0, 43);

/** Model aliases the ai plugin is configured with for the traffic generators. */
export const AI_MODELS = {
  /** Priced (expensive on purpose: one request crosses the tenant's daily soft budget). */
  priced: 'gpt-4o-mini',
  /** A mock model with no price. */
  unpriced: 'obs-unpriced',
  /** A deployment that always fails (retried, then falls back to gpt-4o-mini; its breaker opens). */
  flaky: 'obs-flaky',
  /** An alias split by an A/B experiment. */
  experiment: 'obs-ab',
} as const;
export const FLAKY_DEPLOYMENT = 'flaky';

/**
 * Config the dashboards check gives each plugin it finds. Plugins not listed get `{}` (their
 * defaults). Keep these minimal: they only make the plugin produce the traffic its metrics need.
 */
export const PLUGIN_CONFIG: Record<string, unknown> = {
  health: { details: { access: 'public' } },
  // A known bootstrap key for AI requests, no first-start credentials banner on stdout, and a server
  // secret so nothing is written under ./data.
  auth: {
    keySecret: 'observability-dashboards-check-secret-0123456789',
    bootstrap: { print: false, adminKey: ADMIN_KEY },
  },
  ai: {
    providers: { mock: { type: 'mock' }, 'mock-flaky': { type: 'mock', mock: { failureRate: 1 } } },
    models: {
      [AI_MODELS.priced]: { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] },
      'text-embedding-3-small': { deployments: [{ provider: 'mock', model: 'text-embedding-3-small' }] },
      [AI_MODELS.unpriced]: { deployments: [{ provider: 'mock', model: 'obs-unpriced-model' }] },
      [AI_MODELS.flaky]: {
        deployments: [{ name: FLAKY_DEPLOYMENT, provider: 'mock-flaky', model: 'gpt-4o-mini' }],
        fallbacks: [AI_MODELS.priced],
      },
    },
    experiments: [
      {
        name: 'obs-experiment',
        alias: AI_MODELS.experiment,
        variants: [
          { name: 'a', model: AI_MODELS.priced },
          { name: 'b', model: AI_MODELS.priced },
        ],
      },
    ],
    pricing: { 'gpt-4o-mini': { input: 1000, output: 1000 } },
    retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 },
    // Opens after two failed calls and stays open for the whole run.
    breaker: { volumeThreshold: 2, resetTimeoutMs: 600_000 },
  },
  example: { limits: [{ pathPrefix: '/plugins', maxBytes: 65_536 }] },
  // Only the probe's tagged route is limited, so AI traffic of the other generators is never refused.
  'rate-limit': { tags: [PROBE_TAG], defaults: { requestsPerMinute: PROBE_RPM }, warnIntervalSeconds: 60 },
  // A tenant default soft budget the stand-in's spend crosses (budget alerts).
  usage: { budgets: { defaults: { dailySoftMicros: STANDIN_SOFT_BUDGET_MICROS } } },
  // A dry-run rule that holds for every readiness check (0 > -1): decisions without any action.
  ops: {
    evaluateIntervalMs: 300,
    sampleIntervalMs: 500,
    rules: [
      {
        name: 'obs-dry-run',
        when: { signal: 'health_failing', above: -1 },
        action: { type: 'restore', target: 'none' },
        dryRun: true,
        cooldownSeconds: 3600,
      },
    ],
  },
};

export interface AvailablePlugins {
  /** Plugin definitions found, by package directory name. */
  definitions: PluginDefinition[];
  names: Set<string>;
  /** Plugin directories without src/index.ts yet (their metrics cannot be required). */
  absent: string[];
  /**
   * Plugins left out with AIHUB_OBS_EXCLUDE_PLUGINS=a,b (local runs while a plugin is mid-rewrite).
   * The suite reports them as a failure, so an exclusion never passes unnoticed.
   */
  excluded: string[];
}

/**
 * Every plugin under plugins/ whose package has a src/index.ts exporting a plugin definition. A
 * package that exists but fails to import fails the test: it would fail in production too.
 */
export async function availablePlugins(): Promise<AvailablePlugins> {
  const dir = path.join(REPO_ROOT, 'plugins');
  const definitions: PluginDefinition[] = [];
  const absent: string[] = [];
  const excludedByEnv = new Set(
    (process.env.AIHUB_OBS_EXCLUDE_PLUGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const excluded: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!existsSync(path.join(dir, name, 'package.json'))) continue;
    if (excludedByEnv.has(name)) {
      excluded.push(name);
      continue;
    }
    if (!existsSync(path.join(dir, name, 'src', 'index.ts'))) {
      absent.push(name);
      continue;
    }
    const mod = (await import(`@aihub/plugin-${name}`)) as {
      default?: PluginDefinition | { default?: PluginDefinition };
    };
    const def = (
      mod.default && 'apiVersion' in mod.default
        ? mod.default
        : (mod.default as { default?: PluginDefinition } | undefined)?.default
    ) as PluginDefinition | undefined;
    if (!def || typeof def.name !== 'string' || def.apiVersion !== 'aihub.plugin/v1') {
      throw new Error(`plugins/${name}/src/index.ts does not export a plugin definition as default`);
    }
    definitions.push(def);
  }
  return { definitions, names: new Set(definitions.map((d) => d.name)), absent, excluded };
}

/** pluginConfig for startTestGateway: PLUGIN_CONFIG entries of the plugins that are loaded. */
export function pluginConfigFor(names: Iterable<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) if (PLUGIN_CONFIG[n] !== undefined) out[n] = PLUGIN_CONFIG[n];
  return out;
}
