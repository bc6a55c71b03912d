/**
 * `@aihub/observability`: the metric catalogue, Grafana dashboards as code and Prometheus alert rules
 * for AI Hub. The generated JSON/YAML lives under docker/ (see observability/README.md).
 */
export {
  METRICS,
  METRIC_LIST,
  metricForSeries,
  seriesNames,
  type MetricKey,
  type MetricOwner,
  type MetricSpec,
  type MetricType,
  type TrafficKind,
} from './metricNames';
export {
  DASHBOARDS,
  renderDashboard,
  overviewDashboard,
  aiDashboard,
  trafficControlDashboard,
  usageDashboard,
  BREAKER_STATES,
  DASHBOARD_TAG,
  GATEWAY_JOB,
  JAEGER_UID,
  PROMETHEUS_UID,
  type DashboardFile,
} from './dashboards';
export { alertRules, renderRules, type AlertRule, type RuleGroup, type Severity } from './rules';
export { SLOS, renderSloRules, sloRulesDoc, sloAlertNames, errorRatioExpr, ratioRecord, type Slo } from './slos';
export {
  dashboardQueries,
  variableQueries,
  ruleQueries,
  expandVariables,
  seriesIn,
  metricsIn,
  panelsOf,
  type PanelQuery,
  type VariableValues,
} from './queries';
export { PromQL } from './promql';
