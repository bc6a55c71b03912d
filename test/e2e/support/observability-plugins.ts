import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { definePlugin, type PluginDefinition } from '@aihub/core/plugin-api';

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
    router.post('/echo', ok, { auth: 'none', body: 'json', summary: 'probe with a body (the example plugin limits its size)' });
  },
});

/**
 * Config the dashboards check gives each plugin it finds. Plugins not listed get `{}` (their
 * defaults). Keep these minimal: they only make the plugin produce the traffic its metrics need.
 */
export const PLUGIN_CONFIG: Record<string, unknown> = {
  health: { details: { access: 'public' } },
  // No first-start credentials banner on stdout in tests.
  auth: { bootstrap: { print: false } },
  example: { limits: [{ pathPrefix: '/plugins', maxBytes: 65_536 }] },
  'rate-limit': { tags: ['ai', PROBE_TAG], defaults: { requestsPerMinute: PROBE_RPM }, warnIntervalSeconds: 60 },
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
  const excludedByEnv = new Set((process.env.AIHUB_OBS_EXCLUDE_PLUGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
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
    const mod = (await import(`@aihub/plugin-${name}`)) as { default?: PluginDefinition | { default?: PluginDefinition } };
    const def = (mod.default && 'apiVersion' in mod.default ? mod.default : (mod.default as { default?: PluginDefinition } | undefined)?.default) as PluginDefinition | undefined;
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
