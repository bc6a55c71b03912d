import { definePlugin } from '@aihub/core/plugin-api';
import { healthConfig } from './config';
import { healthRoutes } from './routes';

/** Liveness, readiness and detailed health endpoints built from every plugin's health checks. */
export default definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'health',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Liveness, readiness and detailed health checks',
  config: healthConfig,
  routePrefix: '',
  routes: healthRoutes,
});

export { healthConfig, type HealthConfig } from './config';
