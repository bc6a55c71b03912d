import { z } from 'zod';
import { PrincipalKey } from '../contracts';
import { errors } from '../errors/GatewayError';
import type { CollectedRoute } from './collectPlugin';

/** The path of the platform's plugin and pipeline listing. */
export const PLUGINS_ROUTE_PATH = '/admin/v1/plugins';

const pluginsResponse = z.object({
  object: z.literal('plugins'),
  core_version: z.string(),
  plugins: z.array(
    z.object({
      name: z.string(),
      version: z.string(),
      description: z.string(),
      dependsOn: z.array(z.string()),
      optionalDependsOn: z.array(z.string()),
      source: z.string().optional(),
    }),
  ),
  pipeline: z.array(
    z.object({
      phase: z.string(),
      hooks: z.array(z.object({ id: z.string(), plugin: z.string(), order: z.number() })),
    }),
  ),
});

/**
 * GET /admin/v1/plugins: the installed plugins (start order, versions, dependencies) and every
 * phase's hooks in run order — `aihub plugins list --json` of the running instance. Platform admins
 * only: plugin names, sources and hook order describe the deployment, not a tenant. It goes through
 * the route pipeline like a plugin route, so the auth plugin authenticates it; without a superadmin
 * principal it is a 403.
 */
export function pluginsRoute(
  describe: () => { plugins: unknown; pipeline: unknown },
  coreVersion: string,
): CollectedRoute {
  return {
    handler: async (c) => {
      if (PrincipalKey.get(c)?.superadmin !== true)
        throw errors.forbidden(
          'The plugin list is for platform admins: use a superadmin key or token.',
          'platform_admin_required',
        );
      const { plugins, pipeline } = describe();
      c.set('cache-control', 'no-store');
      c.body = { object: 'plugins', core_version: coreVersion, plugins, pipeline };
    },
    info: {
      method: 'GET',
      path: PLUGINS_ROUTE_PATH,
      plugin: 'core',
      auth: 'required',
      body: 'none',
      pipeline: true,
      scopes: ['admin:read'],
      tags: ['admin', 'platform'],
      errors: 'problem',
      summary: 'Installed plugins, versions and the hooks of every phase in run order (platform admins)',
      schema: { responses: { 200: pluginsResponse }, tag: 'platform', operationId: 'listPlugins' },
    },
  };
}
