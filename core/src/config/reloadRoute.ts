import { z } from 'zod';
import { PrincipalKey } from '../contracts';
import { errors } from '../errors/GatewayError';
import type { CollectedRoute } from '../kernel/collectPlugin';
import type { ReloadReport } from './reload';

/** The path of the config reload of this instance. */
export const RELOAD_ROUTE_PATH = '/admin/v1/config/reload';

const reloadAnswer = z.object({
  outcome: z
    .enum(['applied', 'unchanged', 'invalid'])
    .describe('invalid: the file (or a plugin) refused the change; the running config stays'),
  file: z.string().nullable(),
  applied: z.array(z.string()).describe('Config paths now in effect'),
  restart_required: z.array(z.string()).describe('Changed paths that take effect only after a restart'),
  problems: z
    .array(z.object({ code: z.string(), path: z.string(), message: z.string() }))
    .describe('Why the file was refused: the problems a start would report'),
});

/**
 * POST /admin/v1/config/reload: this instance reads its config file again (as SIGHUP does) and
 * answers what it applied, what needs a restart and, when refused, why. Platform admins only. It
 * reloads the instance that answers: behind a load balancer, call each instance (or signal each).
 */
export function reloadRoute(reload: () => Promise<ReloadReport>): CollectedRoute {
  return {
    handler: async (c) => {
      const p = PrincipalKey.get(c);
      if (!p) throw errors.unauthorized();
      if (p.superadmin !== true)
        throw errors.forbidden(
          'Reloading the config is for platform admins: use a superadmin key or token.',
          'platform_admin_required',
        );
      const r = await reload();
      c.set('cache-control', 'no-store');
      // 200 also when refused: the request worked, the report says what the file did.
      c.body = {
        outcome: r.outcome,
        file: r.file,
        applied: r.applied,
        restart_required: r.restartRequired,
        problems: r.problems,
      };
    },
    info: {
      method: 'POST',
      path: RELOAD_ROUTE_PATH,
      plugin: 'core',
      auth: 'required',
      body: 'none',
      pipeline: true,
      scopes: ['admin:write'],
      tags: ['admin', 'platform'],
      errors: 'problem',
      summary:
        'Re-read the config file on this instance: apply what can change live, list what needs a restart (platform admins)',
      schema: { responses: { 200: reloadAnswer }, tag: 'platform', operationId: 'reloadConfig' },
    },
  };
}
