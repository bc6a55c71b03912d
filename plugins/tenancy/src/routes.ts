import type { PluginContext, PluginRouter } from '@aihub/core/plugin-api';
import type { TenancyConfig } from './config';
import { auditRoutes } from './routes/audit';
import type { Runtime } from './routes/common';
import { invitationRoutes } from './routes/invitations';
import { meRoutes } from './routes/me';
import { memberRoutes } from './routes/members';
import { teamRoutes } from './routes/teams';
import { tenantRoutes } from './routes/tenants';
import { userRoutes } from './routes/users';

/**
 * The tenancy admin API under /admin/v1. Every route authorizes on the server through
 * ACCESS_CONTROL (tenant ids of other tenants answer 404) and every write records an audit entry in
 * the same transaction. `rt` resolves the runtime on first use: routes are declared before register().
 */
export function tenancyRoutes(router: PluginRouter, ctx: PluginContext<TenancyConfig>, rt: Runtime): void {
  meRoutes(router, rt);
  tenantRoutes(router, rt);
  userRoutes(router, rt);
  memberRoutes(router, rt, invitationRoutes(router, ctx, rt));
  teamRoutes(router, rt);
  auditRoutes(router, rt);
}
