import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { DURATION_BUCKETS as CORE_BUCKETS } from '../../core/src/telemetry/createMetrics';
import { REPO_ROOT, SLO_RULES_FILE } from './artifacts';
import { alertRules } from './rules';
import { metricsIn } from './queries';
import { DURATION_BUCKETS, errorRatioExpr, renderSloRules, SLO_WINDOWS, SLOS, sloAlertNames } from './slos';
import { toYaml, type YamlValue } from './yaml';

const run = promisify(execFile);

/** promtool comes with Debian's `prometheus` package (CI installs it in .ci/run). */
async function promtool(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { timeout: 120_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { code?: string | number; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error(
        'promtool is not installed: run `apt-get install -y --no-install-recommends prometheus` (CI does this in .ci/run)',
      );
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}

const L = 'job="aihub",instance="gw-1:8080",method="POST",route="/v1/chat/completions"';
const AVAIL = sloAlertNames(SLOS.find((s) => s.name === 'availability')!);
const LAT = sloAlertNames(SLOS.find((s) => s.name === 'latency')!);
const ALL_ALERTS = [AVAIL.page, AVAIL.ticket, LAT.page, LAT.ticket];

/** Requests per minute by status over `minutes` (counters in promtool's expanding notation). */
function requests(perMinute: Record<string, number>, minutes: number): [string, string][] {
  return Object.entries(perMinute).map(([status, n]) => [
    `aihub_http_requests_total{${L},status="${status}"}`,
    `0+${n}x${minutes}`,
  ]);
}

/** Duration histogram of 200s: `total` per minute, `fast` of them within 30 s. */
function durations(total: number, fast: number, minutes: number): [string, string][] {
  const h = 'aihub_http_request_duration_seconds';
  const labels = `${L},status="200"`;
  return [
    [`${h}_bucket{${labels},le="30"}`, `0+${fast}x${minutes}`],
    [`${h}_bucket{${labels},le="+Inf"}`, `0+${total}x${minutes}`],
    [`${h}_count{${labels}}`, `0+${total}x${minutes}`],
  ];
}

interface Case {
  name: string;
  series: [string, string][];
  at: string;
  /** Alert name → whether it fires at `at` (alerts not named are not checked). */
  fires: Record<string, boolean>;
}

const none = Object.fromEntries(ALL_ALERTS.map((a) => [a, false]));

const CASES: Case[] = [
  {
    name: 'healthy: 0.05% 5xx, all within 30 s, many client errors',
    series: [...requests({ '200': 2000, '500': 1, '429': 500, '400': 300 }, 150), ...durations(2000, 2000, 150)],
    at: '2h',
    fires: none,
  },
  {
    name: 'client errors alone burn nothing (4xx are excluded)',
    series: [...requests({ '200': 100, '401': 900 }, 90), ...durations(100, 100, 90)],
    at: '80m',
    fires: none,
  },
  {
    name: 'fast availability burn: 2% 5xx (20×) pages within minutes, before the ticket',
    series: [...requests({ '200': 980, '503': 20 }, 30), ...durations(1000, 1000, 30)],
    at: '12m',
    fires: { [AVAIL.page]: true, [AVAIL.ticket]: false, [LAT.page]: false, [LAT.ticket]: false },
  },
  {
    name: 'medium availability burn: 0.8% 5xx (8×) for 7h pages through the 6h/30m pair only',
    series: [...requests({ '200': 992, '500': 8 }, 430), ...durations(1000, 1000, 430)],
    at: '7h',
    fires: { [AVAIL.page]: true, [AVAIL.ticket]: true, [LAT.page]: false },
  },
  {
    name: 'slow availability burn: 0.3% 5xx (3×) for 8h opens a ticket and does not page',
    series: [...requests({ '200': 997, '502': 3 }, 490), ...durations(1000, 1000, 490)],
    at: '8h',
    fires: { [AVAIL.page]: false, [AVAIL.ticket]: true, [LAT.page]: false, [LAT.ticket]: false },
  },
  {
    name: 'fast latency burn: 20% slower than 30 s pages',
    series: [...requests({ '200': 1000 }, 30), ...durations(1000, 800, 30)],
    at: '12m',
    fires: { [LAT.page]: true, [LAT.ticket]: false, [AVAIL.page]: false, [AVAIL.ticket]: false },
  },
  {
    name: 'slow latency burn: 2% slower than 30 s (2×) for 8h opens a ticket and does not page',
    series: [...requests({ '200': 1000 }, 490), ...durations(1000, 980, 490)],
    at: '8h',
    fires: { [LAT.page]: false, [LAT.ticket]: true, [AVAIL.page]: false, [AVAIL.ticket]: false },
  },
];

const SEVERITY: Record<string, string> = {
  [AVAIL.page]: 'critical',
  [LAT.page]: 'critical',
  [AVAIL.ticket]: 'warning',
  [LAT.ticket]: 'warning',
};
const SLO_OF: Record<string, string> = {
  [AVAIL.page]: 'availability',
  [AVAIL.ticket]: 'availability',
  [LAT.page]: 'latency',
  [LAT.ticket]: 'latency',
};

function testFile(rulesFile: string, cases: Case[]): string {
  const tests: YamlValue[] = cases.map((c) => ({
    name: c.name,
    interval: '1m',
    input_series: c.series.map(([series, values]) => ({ series, values })),
    alert_rule_test: Object.entries(c.fires).map(([alertname, fires]) => ({
      eval_time: c.at,
      alertname,
      exp_alerts: fires ? [{ exp_labels: { severity: SEVERITY[alertname], slo: SLO_OF[alertname] } }] : [],
    })),
  }));
  return toYaml({ rule_files: [rulesFile], evaluation_interval: '1m', tests });
}

describe('SLO burn-rate rules', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aihub-slo-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the duration buckets match the gateway histogram, and a threshold off the buckets is refused', () => {
    assert.deepEqual([...DURATION_BUCKETS], CORE_BUCKETS);
    assert.throws(
      () => errorRatioExpr({ name: 'x', kind: 'latency', objective: 0.99, thresholdSeconds: 3, description: '' }, '5m'),
      /thresholdSeconds must be one of the duration buckets/,
    );
  });

  it('recording rules read only catalogued metrics; the committed file passes `promtool check rules`', async () => {
    for (const slo of SLOS) {
      for (const w of SLO_WINDOWS) {
        const { unknown, other } = metricsIn(errorRatioExpr(slo, w));
        assert.deepEqual([...unknown, ...other], [], `${slo.name}/${w}`);
      }
    }
    const r = await promtool(['check', 'rules', SLO_RULES_FILE]);
    assert.equal(r.code, 0, `promtool check rules failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${SLOS.length * (SLO_WINDOWS.length + 2)} rules found`));
  });

  it('fast burns page, slow burns open a ticket, healthy traffic fires nothing (`promtool test rules`)', async () => {
    const rulesFile = path.join(dir, 'slo.rules.yml');
    await writeFile(rulesFile, renderSloRules(SLOS, { annotations: false }));
    const file = path.join(dir, 'slo.tests.yml');
    await writeFile(file, testFile(rulesFile, CASES));
    const r = await promtool(['test', 'rules', file]);
    assert.equal(r.code, 0, `promtool test rules failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /SUCCESS/);
  });

  it('records a 0 error ratio when no request failed (no 5xx series at all), not nothing', async () => {
    const rulesFile = path.join(dir, 'slo-zero.rules.yml');
    await writeFile(rulesFile, renderSloRules(SLOS, { annotations: false }));
    const file = path.join(dir, 'slo-zero.tests.yml');
    const series = [...requests({ '200': 100 }, 20), ...durations(100, 100, 20)].map(([s, values]) => ({
      series: s,
      values,
    }));
    const tests: YamlValue[] = [
      {
        interval: '1m',
        input_series: series,
        promql_expr_test: SLOS.map((slo) => ({
          expr: `aihub:slo_errors_per_request:ratio_rate5m{slo="${slo.name}"}`,
          eval_time: '10m',
          exp_samples: [{ labels: `aihub:slo_errors_per_request:ratio_rate5m{slo="${slo.name}"}`, value: 0 }],
        })),
      },
    ];
    await writeFile(file, toYaml({ rule_files: [rulesFile], evaluation_interval: '1m', tests }));
    const r = await promtool(['test', 'rules', file]);
    assert.equal(r.code, 0, `promtool test rules failed:\n${r.stdout}\n${r.stderr}`);
  });

  it('docs/operations.md has a runbook section for every alert (rules.ts and the SLOs)', async () => {
    const doc = await readFile(path.join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');
    const headings = new Set([...doc.matchAll(/^### (\S+)$/gm)].map((m) => m[1]));
    const alerts = [
      ...alertRules().flatMap((g) => g.rules.map((r) => r.alert)),
      ...SLOS.flatMap((s) => Object.values(sloAlertNames(s))),
    ];
    assert.deepEqual(
      alerts.filter((a) => !headings.has(a)),
      [],
      'add a "### <alert>" runbook to docs/operations.md',
    );
  });

  it('a wrong expectation fails (healthy traffic expected to page)', async () => {
    const rulesFile = path.join(dir, 'slo-neg.rules.yml');
    await writeFile(rulesFile, renderSloRules(SLOS, { annotations: false }));
    const file = path.join(dir, 'slo-neg.tests.yml');
    await writeFile(file, testFile(rulesFile, [{ ...CASES[0], fires: { [AVAIL.page]: true } }]));
    const r = await promtool(['test', 'rules', file]);
    assert.notEqual(r.code, 0, 'promtool accepted a page on healthy traffic');
  });
});
