import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS as M } from '../metricNames';
import { DashboardDraft, q } from './common';

/** The usage pipeline (ai → queue → usage writer) and budget alerts. */
export function usageDashboard(): Dashboard {
  const d = new DashboardDraft(
    'aihub-usage',
    'AI Hub / Usage and budgets',
    'Usage metering: records written, queue lag between the gateways and the usage writer, duplicates dropped on redelivery, and budget alerts.',
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
      description: 'Usage events published but not yet written (highest instance). Alert AihubUsageQueueLagGrowing fires when it keeps growing.',
      unit: 'short',
      queries: [{ expr: `max(${q.sel(M.usageQueueLag)})` }],
      thresholds: [
        { value: 1000, color: 'orange' },
        { value: 10000, color: 'red' },
      ],
    })
    .stat({
      title: 'Records per batch',
      description: 'Mean records per database write; low values under load mean the writer is not batching.',
      unit: 'short',
      queries: [{ expr: `${q.sumRate(M.usageRecordsWritten)} / ${q.sumRate(M.usageBatches)}` }],
    })
    .stat({
      title: 'Duplicates dropped/s',
      description: 'Redelivered events recognised and dropped (at-least-once delivery); a steady rate means consumers crash or time out before acknowledging.',
      unit: 'short',
      queries: [{ expr: q.sumRate(M.usageDuplicatesDropped) }],
    })
    .timeseries({
      title: 'Records and batches/s',
      description: 'Usage records and write batches per second, per instance.',
      unit: 'short',
      queries: [
        { expr: `sum by (instance) (${q.rate(M.usageRecordsWritten)})`, legend: 'records {{instance}}' },
        { expr: `sum by (instance) (${q.rate(M.usageBatches)})`, legend: 'batches {{instance}}' },
      ],
    })
    .timeseries({
      title: 'Queue lag',
      description: 'Usage events waiting to be written, per instance.',
      unit: 'short',
      min: 0,
      queries: [{ expr: `max by (instance) (${q.sel(M.usageQueueLag)})`, legend: '{{instance}}' }],
    })
    .timeseries({
      title: 'Duplicates dropped/s',
      description: 'Redelivered usage events dropped as duplicates, per instance.',
      unit: 'short',
      bars: true,
      queries: [{ expr: `sum by (instance) (${q.rate(M.usageDuplicatesDropped)})`, legend: '{{instance}}' }],
    });

  d.row('Budgets')
    .timeseries({
      title: 'Budget alerts',
      description: 'Budget alerts raised, by level (e.g. 80%, 100%), period (day, month) and kind (soft warning, hard stop).',
      unit: 'short',
      bars: true,
      queries: [{ expr: `sum by (level, period, kind) (${q.increase(M.budgetAlerts, '$__rate_interval')})`, legend: '{{level}} {{period}} {{kind}}' }],
    })
    .stat({
      title: 'Budget alerts in range',
      description: 'Budget alerts raised over the dashboard time range, by level, period and kind.',
      unit: 'short',
      width: 12,
      queries: [{ expr: `sum by (level, period, kind) (${q.increase(M.budgetAlerts, '$__range')})`, legend: '{{level}} {{period}} {{kind}}' }],
      thresholds: [{ value: 1, color: 'orange' }],
    });

  return d.build();
}
