import type { PluginContext, PluginRouter } from '@aihub/core/plugin-api';
import type { TenancyConfig } from './config';
import type { TenancyRuntime } from './runtime';

/** The tenancy admin API under /admin/v1 (filled in route by route). */
export function tenancyRoutes(_router: PluginRouter, _ctx: PluginContext<TenancyConfig>, _rt: TenancyRuntime): void {}
