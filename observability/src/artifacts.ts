import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DASHBOARDS, renderDashboard } from './dashboards';
import { renderDashboardProvider, renderDatasources } from './provisioning';
import { renderReadme } from './readme';
import { renderRules } from './rules';
import { renderSloRules } from './slos';

/** The repository root (observability/src → ../..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DASHBOARD_DIR = path.join(REPO_ROOT, 'docker', 'grafana', 'dashboards');
export const RULES_FILE = path.join(REPO_ROOT, 'docker', 'prometheus', 'rules', 'aihub.rules.yml');
export const SLO_RULES_FILE = path.join(REPO_ROOT, 'docker', 'prometheus', 'rules', 'aihub-slo.rules.yml');
export const PROVISIONING_DIR = path.join(REPO_ROOT, 'docker', 'grafana', 'provisioning');
export const README_FILE = path.join(REPO_ROOT, 'observability', 'README.md');

/** Every generated file: absolute path → contents. The build writes them; the drift test compares them. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const d of DASHBOARDS) files.set(path.join(DASHBOARD_DIR, d.file), renderDashboard(d.build()));
  files.set(RULES_FILE, renderRules());
  files.set(SLO_RULES_FILE, renderSloRules());
  files.set(path.join(PROVISIONING_DIR, 'datasources', 'aihub.yml'), renderDatasources());
  files.set(path.join(PROVISIONING_DIR, 'dashboards', 'aihub.yml'), renderDashboardProvider());
  // The README's tables of metrics, dashboards and alerts (the prose around them is hand-written).
  files.set(README_FILE, renderReadme(readFileSync(README_FILE, 'utf8')));
  return files;
}
