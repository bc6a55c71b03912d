import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS as M } from '../metricNames';
import { DashboardDraft, q } from './common';

/** The usage pipeline (ai → queue → usage writer) and budget alerts. */
export function usageDashboard(): Dashboard {
  const d = new DashboardDraft(
    'aihub-usage',
    'AI Hub / Usage and budgets',
    'Usage metering: records written, queue lag between the gateways and the usage writer, duplicates dropped on redelivery, writer health, behavior events and budget alerts.',
    ['usage'],
  );

  d.row('Usage pipeline')
    .stat({
      title: 'Records written/s',
      description: 'Usage records written to the database per second.',
      unit: 'short',
      queries: [{ expr: q.sumRate(M.usageRecordsWritten) }],
    })
    .stat({
      title: 'Queue lag',
      description:
        'Usage events published but not yet written (highest instance). Alert AihubUsageQueueLagGrowing fires when it keeps growing.',
      unit: 'short',
      queries: [{ expr: `max(${q.sel(M.usageQueueLag)})` }],
      thresholds: [
        { value: 1000, color: 'orange' },
        { value: 10000, color: 'red' },
      ],
    })
    .stat({
      title: 'Records per batch',
      description: 'Mean records written per successful batch; low values under load mean the writer is not batching.',
      unit: 'short',
      queries: [{ expr: `${q.sumRate(M.usageRecordsWritten)} / ${q.sumRate(M.usageBatches, [], 'outcome="ok"')}` }],
    })
    .stat({
      title: 'Duplicates dropped/s',
      description:
        'Redelivered events recognised and dropped (at-least-once delivery); a steady rate means consumers crash or time out before acknowledging.',
      unit: 'short',
      queries: [{ expr: q.sumRate(M.usageDuplicatesDropped) }],
    })
    .timeseries({
      title: 'Records and batches/s',
      description:
        'Usage records written per second per instance, and batches by outcome: retry = the database was unreachable and the batch is tried again; error = the batch failed.',
      unit: 'short',
      queries: [
        { expr: `sum by (instance) (${q.rate(M.usageRecordsWritten)})`, legend: 'records {{instance}}' },
        { expr: q.sumRate(M.usageBatches, ['outcome']), legend: 'batches {{outcome}}' },
      ],
    })
    .timeseries({
      title: 'Queue lag by instance',
      description: 'Usage events waiting to be written, per instance.',
      unit: 'short',
      min: 0,
      queries: [{ expr: `max by (instance) (${q.sel(M.usageQueueLag)})`, legend: '{{instance}}' }],
    })
    .timeseries({
      title: 'Duplicates dropped/s by instance',
      description: 'Redelivered usage events dropped as duplicates, per instance.',
      unit: 'short',
      bars: true,
      queries: [{ expr: `sum by (instance) (${q.rate(M.usageDuplicatesDropped)})`, legend: '{{instance}}' }],
    });

  d.row('Writer health')
    .timeseries({
      title: 'Batch write time p50 / p95',
      description:
        'Time to write one usage batch (one transaction plus spend counters). Growing times mean database pressure; the queue lag follows.',
      unit: 's',
      queries: [
        { expr: q.quantile(0.5, M.usageBatchDuration), legend: 'p50' },
        { expr: q.quantile(0.95, M.usageBatchDuration), legend: 'p95', exemplar: true },
      ],
    })
    .timeseries({
      title: 'Dead letters/s',
      description:
        'Malformed usage records kept as dead letters instead of being written (never dropped silently). Alert AihubUsageDeadLetters fires on any.',
      unit: 'short',
      bars: true,
      queries: [{ expr: `sum by (instance) (${q.rate(M.usageRecordsRejected)})`, legend: '{{instance}}' }],
    });

  d.row('Behavior events')
    .timeseries({
      title: 'Behavior events written/s',
      description: 'Behavior (track/identify) events written to the database per second, per instance.',
      unit: 'short',
      queries: [{ expr: `sum by (instance) (${q.rate(M.behaviorEventsWritten)})`, legend: '{{instance}}' }],
    })
    .timeseries({
      title: 'Behavior queue lag',
      description: 'Behavior events accepted and not yet written, per instance.',
      unit: 'short',
      min: 0,
      queries: [{ expr: `max by (instance) (${q.sel(M.behaviorQueueLag)})`, legend: '{{instance}}' }],
    });

  d.row('Budgets')
    .timeseries({
      title: 'Budget alerts',
      description:
        'Budget alerts fired, by level (tenant, team, key), period (daily, monthly, UTC) and kind (soft: warning; hard: requests are refused from now on). Each fires once per budget and period.',
      unit: 'short',
      bars: true,
      queries: [
        {
          expr: `sum by (level, period, kind) ${q.recentIncrease(M.budgetAlerts, '$__rate_interval')}`,
          legend: '{{level}} {{period}} {{kind}}',
        },
      ],
    })
    .stat({
      title: 'Budget alerts in range',
      description:
        'Budget alerts fired over the dashboard time range, by level, period and kind. The usage API lists which budgets.',
      unit: 'short',
      width: 12,
      queries: [
        {
          expr: `sum by (level, period, kind) ${q.recentIncrease(M.budgetAlerts, '$__range')}`,
          legend: '{{level}} {{period}} {{kind}}',
        },
      ],
      thresholds: [{ value: 1, color: 'orange' }],
    });

  return d.build();
}
