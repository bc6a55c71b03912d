import type { PluginMeter } from '@aihub/core/plugin-api';

/** The ops plugin's metrics (prefixed `aihub_` by the plugin meter). */
export function createOpsMetrics(meter: PluginMeter) {
  return {
    decisions: meter.counter(
      'ops_decisions_total',
      'Automation decisions, by rule, action and outcome (acted, dry_run, capped, failed)',
      ['rule', 'action', 'outcome'] as const,
    ),
    probes: meter.counter(
      'ops_probes_total',
      'Synthetic probes of drained deployments, by deployment and result (ok, failed)',
      ['deployment', 'result'] as const,
    ),
    leader: meter.gauge('ops_leader', '1 on the instance that evaluates the rules now, 0 on the others'),
    drained: meter.gauge('ops_drained_deployments', 'Deployments drained now (cluster-wide, as the leader sees them)'),
  };
}

export type OpsMetrics = ReturnType<typeof createOpsMetrics>;
