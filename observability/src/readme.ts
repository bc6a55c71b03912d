import { DASHBOARDS } from './dashboards';
import { METRIC_LIST } from './metricNames';
import { panelsOf } from './queries';
import { alertRules } from './rules';

/** Markers around the generated sections of observability/README.md. */
const SECTIONS = {
  metrics: ['<!-- generated:metrics -->', '<!-- /generated:metrics -->'],
  dashboards: ['<!-- generated:dashboards -->', '<!-- /generated:dashboards -->'],
  alerts: ['<!-- generated:alerts -->', '<!-- /generated:alerts -->'],
} as const;

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function metricsTable(): string {
  const rows = METRIC_LIST.map(
    (m) =>
      `| \`${m.name}\` | ${m.type} | ${m.labels.map((l) => `\`${l}\``).join(', ') || '—'} | ${m.owner} | ${m.appearsAfter ?? '—'} | ${cell(m.help)} |`,
  );
  return [
    '| Metric | Type | Labels | Emitted by | First series after | Meaning |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function dashboardsTable(): string {
  const rows = DASHBOARDS.map((d) => {
    const json = d.build();
    const panels = panelsOf(json).map((p) => p.title ?? '');
    return `| [${cell(json.title ?? '')}](../docker/grafana/dashboards/${d.file}) | \`/d/${json.uid}\` | ${cell(panels.join(' · '))} |`;
  });
  return ['| Dashboard | URL path | Panels |', '|---|---|---|', ...rows].join('\n');
}

function alertsTable(): string {
  const rows = alertRules().flatMap((g) =>
    g.rules.map(
      (r) =>
        `| \`${r.alert}\` | ${r.severity} | ${r.for ?? '—'} | ${cell(r.summary.replace(/\{\{ \$labels\.(\w+) \}\}/g, '`$1`'))} | \`${cell(r.expr)}\` |`,
    ),
  );
  return ['| Alert | Severity | For | Summary | Expression |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Replaces the generated sections of the README text (which must contain every marker pair). */
export function renderReadme(current: string): string {
  const content: Record<keyof typeof SECTIONS, string> = {
    metrics: metricsTable(),
    dashboards: dashboardsTable(),
    alerts: alertsTable(),
  };
  let out = current;
  for (const [key, [start, end]] of Object.entries(SECTIONS) as [keyof typeof SECTIONS, readonly [string, string]][]) {
    const a = out.indexOf(start);
    const b = out.indexOf(end);
    if (a === -1 || b === -1 || b < a) throw new Error(`observability/README.md lacks the ${start} … ${end} markers`);
    out = `${out.slice(0, a + start.length)}\n${content[key]}\n${out.slice(b)}`;
  }
  return out;
}
