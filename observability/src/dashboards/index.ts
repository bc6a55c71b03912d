import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { aiDashboard } from './ai';
import { overviewDashboard } from './overview';
import { saturationDashboard } from './saturation';
import { trafficControlDashboard } from './traffic-control';
import { usageDashboard } from './usage';

/** A dashboard and the file it is written to under docker/grafana/dashboards/. */
export interface DashboardFile {
  file: string;
  build(): Dashboard;
}

/** Every AI Hub dashboard, in the order Grafana lists them. */
export const DASHBOARDS: readonly DashboardFile[] = [
  { file: 'aihub-overview.json', build: overviewDashboard },
  { file: 'aihub-ai.json', build: aiDashboard },
  { file: 'aihub-traffic-control.json', build: trafficControlDashboard },
  { file: 'aihub-usage.json', build: usageDashboard },
  { file: 'aihub-saturation.json', build: saturationDashboard },
];

/** The JSON written for a dashboard: stable key order from the builders, two-space indent, final newline. */
export function renderDashboard(dashboard: Dashboard): string {
  return JSON.stringify(dashboard, null, 2) + '\n';
}

export { aiDashboard, overviewDashboard, saturationDashboard, trafficControlDashboard, usageDashboard };
export { BREAKER_STATES } from './ai';
export { DASHBOARD_TAG, GATEWAY_JOB, JAEGER_UID, PROMETHEUS_UID } from './common';
