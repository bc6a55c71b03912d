import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { RULES_FILE } from './artifacts';
import { alertRules, renderRules } from './rules';
import { toYaml, type YamlValue } from './yaml';

const run = promisify(execFile);

/** promtool comes with Debian's `prometheus` package (CI: apt-get install -y --no-install-recommends prometheus). */
async function promtool(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { timeout: 60_000 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { code?: string | number; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        'promtool is not installed: run `apt-get update && apt-get install -y --no-install-recommends prometheus` (CI does this in .ci/run)',
      );
    }
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}

const J = 'job="aihub"';
const I = 'instance="gw-1:8080"';

/** One promtool unit test: input series (1m interval) and, at eval time, the alerts expected with their labels. */
interface Case {
  name: string;
  series: [string, string][];
  at: string;
  expect: Record<string, string>[];
}

/**
 * For each alert, a case where it fires and one where it must not. Every alert of rules.ts needs an
 * entry here (checked below), so a new rule comes with a test of when it fires.
 */
const CASES: Record<string, Case[]> = {
  AihubGatewayDown: [
    {
      name: 'one instance down 4 minutes, the other up',
      series: [
        [`up{${J},${I}}`, '1 0 0 0 0 0'],
        [`up{${J},instance="gw-2:8080"}`, '1x5'],
      ],
      at: '5m',
      expect: [{ job: 'aihub', instance: 'gw-1:8080' }],
    },
    { name: 'a one-minute blip', series: [[`up{${J},${I}}`, '1 1 1 0 1 1']], at: '5m', expect: [] },
  ],
  AihubNoGatewayUp: [
    {
      name: 'all instances down',
      series: [
        [`up{${J},${I}}`, '0x5'],
        [`up{${J},instance="gw-2:8080"}`, '0x5'],
      ],
      at: '3m',
      // absent() of a comparison carries no labels.
      expect: [{}],
    },
    {
      name: 'one instance up',
      series: [
        [`up{${J},${I}}`, '0x5'],
        [`up{${J},instance="gw-2:8080"}`, '1x5'],
      ],
      at: '3m',
      expect: [],
    },
  ],
  AihubHigh5xxRatio: [
    {
      name: '1 rps ok and 0.2 rps 500s (17%)',
      series: [
        [`aihub_http_requests_total{${J},${I},method="POST",route="/v1/chat/completions",status="200"}`, '0+60x15'],
        [`aihub_http_requests_total{${J},${I},method="POST",route="/v1/chat/completions",status="500"}`, '0+12x15'],
      ],
      at: '12m',
      expect: [{ job: 'aihub' }],
    },
    {
      name: '1.6% of requests fail',
      series: [
        [`aihub_http_requests_total{${J},${I},method="POST",route="/v1/chat/completions",status="200"}`, '0+60x15'],
        [`aihub_http_requests_total{${J},${I},method="POST",route="/v1/chat/completions",status="500"}`, '0+1x15'],
      ],
      at: '12m',
      expect: [],
    },
    {
      name: 'everything fails but almost no traffic (one request per 2 minutes)',
      series: [
        [
          `aihub_http_requests_total{${J},${I},method="GET",route="/admin/v1/tenants",status="500"}`,
          '0 1 1 2 2 3 3 4 4 5 5 6 6 7 7 8',
        ],
      ],
      at: '12m',
      expect: [],
    },
  ],
  AihubHighLatencyP99: [
    {
      name: 'an admin route takes 1–2.5 s (and a slow /v1 route is ignored)',
      series: [
        ...histogram(
          'aihub_http_request_duration_seconds',
          `${J},${I},method="GET",route="/admin/v1/tenants",status="200"`,
          { '0.5': '0x20', '1': '0x20', '2.5': '0+60x20', '+Inf': '0+60x20' },
        ),
        ...histogram(
          'aihub_http_request_duration_seconds',
          `${J},${I},method="POST",route="/v1/chat/completions",status="200"`,
          { '0.5': '0x20', '1': '0x20', '2.5': '0x20', '+Inf': '0+60x20' },
        ),
      ],
      at: '15m',
      expect: [{ route: '/admin/v1/tenants' }],
    },
    {
      name: 'fast admin route',
      series: histogram(
        'aihub_http_request_duration_seconds',
        `${J},${I},method="GET",route="/admin/v1/tenants",status="200"`,
        { '0.5': '0+60x20', '1': '0+60x20', '2.5': '0+60x20', '+Inf': '0+60x20' },
      ),
      at: '15m',
      expect: [],
    },
  ],
  AihubPluginHookErrors: [
    {
      name: 'a hook keeps throwing',
      series: [[`aihub_plugin_hook_errors_total{${J},${I},plugin="auth",phase="request.authenticate"}`, '0+5x10']],
      at: '8m',
      expect: [{ plugin: 'auth', phase: 'request.authenticate' }],
    },
    {
      name: 'one error long ago',
      series: [[`aihub_plugin_hook_errors_total{${J},${I},plugin="auth",phase="request.authenticate"}`, '0 1 1x18']],
      at: '19m',
      expect: [],
    },
  ],
  AihubEventLoopLag: [
    {
      name: '500 ms lag',
      series: [[`aihub_nodejs_eventloop_lag_p99_seconds{${J},${I}}`, '0.5x10']],
      at: '7m',
      expect: [{ instance: 'gw-1:8080' }],
    },
    {
      name: '20 ms lag',
      series: [[`aihub_nodejs_eventloop_lag_p99_seconds{${J},${I}}`, '0.02x10']],
      at: '7m',
      expect: [],
    },
  ],
  AihubDbPoolExhausted: [
    {
      name: 'callers wait for connections at every scrape',
      series: [
        [`aihub_db_pool_waiting{${J},${I}}`, '3x20'],
        [`aihub_db_pool_waiting{${J},instance="gw-2:8080"}`, '0x20'],
      ],
      at: '15m',
      expect: [{ instance: 'gw-1:8080' }],
    },
    {
      name: 'a short burst of waiting',
      series: [[`aihub_db_pool_waiting{${J},${I}}`, '0 0 0 5 5 0 0 0 0 0 0 0 0 0 0 0 0']],
      at: '15m',
      expect: [],
    },
  ],
  AihubRedisSlow: [
    {
      name: '80 ms round trips',
      series: [[`aihub_kv_ping_seconds{${J},${I},store="redis"}`, '0.08x20']],
      at: '15m',
      expect: [{ instance: 'gw-1:8080' }],
    },
    {
      name: 'sub-millisecond round trips',
      series: [[`aihub_kv_ping_seconds{${J},${I},store="redis"}`, '0.0004x20']],
      at: '15m',
      expect: [],
    },
    {
      name: 'the in-process store is not Redis',
      series: [[`aihub_kv_ping_seconds{${J},${I},store="memory"}`, '0.08x20']],
      at: '15m',
      expect: [],
    },
  ],
  AihubCircuitBreakerOpen: [
    {
      name: 'one deployment open, one closed',
      series: [
        [`aihub_circuit_breaker_state{${J},${I},deployment="openai-east"}`, '2x5'],
        [`aihub_circuit_breaker_state{${J},${I},deployment="openai-west"}`, '0x5'],
      ],
      at: '3m',
      expect: [{ deployment: 'openai-east' }],
    },
    {
      name: 'half-open',
      series: [[`aihub_circuit_breaker_state{${J},${I},deployment="openai-east"}`, '1x5']],
      at: '3m',
      expect: [],
    },
  ],
  AihubSlowTimeToFirstToken: [
    {
      name: 'first tokens after 10–30 s',
      series: histogram('aihub_ai_time_to_first_token_seconds', `${J},${I},model="gpt-4o",provider="openai"`, {
        '1': '0x20',
        '10': '0x20',
        '30': '0+10x20',
        '+Inf': '0+10x20',
      }),
      at: '15m',
      expect: [{ model: 'gpt-4o' }],
    },
    {
      name: 'first tokens within a second',
      series: histogram('aihub_ai_time_to_first_token_seconds', `${J},${I},model="gpt-4o",provider="openai"`, {
        '1': '0+10x20',
        '10': '0+10x20',
        '30': '0+10x20',
        '+Inf': '0+10x20',
      }),
      at: '15m',
      expect: [],
    },
  ],
  AihubUnpricedModel: [
    {
      name: 'requests for an unpriced model',
      series: [[`aihub_ai_unpriced_requests_total{${J},${I},model="my-finetune"}`, '0+1x20']],
      at: '16m',
      expect: [{ model: 'my-finetune' }],
    },
    {
      name: 'none for 15 minutes',
      series: [[`aihub_ai_unpriced_requests_total{${J},${I},model="my-finetune"}`, '0 1 1x38']],
      at: '38m',
      expect: [],
    },
    {
      name: 'the first request of a model (the series appears at 1)',
      series: [[`aihub_ai_unpriced_requests_total{${J},${I},model="new-model"}`, '_ _ _ 1 1 1']],
      at: '5m',
      expect: [{ model: 'new-model' }],
    },
  ],
  AihubOpsActionsFailing: [
    {
      name: 'a rule failed its first action (the series appears at 1)',
      series: [
        [`aihub_ops_decisions_total{${J},${I},rule="drain-failing",action="drain",outcome="failed"}`, '_ _ 1x10'],
      ],
      at: '5m',
      expect: [{ rule: 'drain-failing', action: 'drain', outcome: 'failed' }],
    },
    {
      name: 'a capped action',
      series: [[`aihub_ops_decisions_total{${J},${I},rule="page",action="webhook",outcome="capped"}`, '2 2 2 3 3 3 3']],
      at: '5m',
      expect: [{ rule: 'page', action: 'webhook', outcome: 'capped' }],
    },
    {
      name: 'actions that succeed, and a failure long ago',
      series: [
        [`aihub_ops_decisions_total{${J},${I},rule="drain-failing",action="drain",outcome="acted"}`, '0 1 2 3 4 5 6'],
        [`aihub_ops_decisions_total{${J},${I},rule="old",action="drain",outcome="failed"}`, '1x40'],
      ],
      at: '30m',
      expect: [],
    },
  ],
  AihubRateLimitStoreErrors: [
    {
      name: 'store errors',
      series: [[`aihub_ratelimit_store_errors_total{${J},${I}}`, '0+10x10']],
      at: '5m',
      expect: [{ instance: 'gw-1:8080' }],
    },
    {
      name: 'no store errors',
      series: [[`aihub_ratelimit_store_errors_total{${J},${I}}`, '0x10']],
      at: '5m',
      expect: [],
    },
  ],
  AihubRateLimitFailingOpen: [
    {
      name: 'decisions fail open',
      series: [
        [
          `aihub_ratelimit_decisions_total{${J},${I},outcome="error_open",level="tenant",dimension="requests"}`,
          '0+30x10',
        ],
        [`aihub_ratelimit_decisions_total{${J},${I},outcome="allowed",level="tenant",dimension="requests"}`, '0+30x10'],
      ],
      at: '5m',
      expect: [{}],
    },
    {
      name: 'only allowed',
      series: [
        [`aihub_ratelimit_decisions_total{${J},${I},outcome="allowed",level="tenant",dimension="requests"}`, '0+30x10'],
      ],
      at: '5m',
      expect: [],
    },
  ],
  AihubRateLimitFailingClosed: [
    {
      name: 'decisions fail closed',
      series: [
        [`aihub_ratelimit_decisions_total{${J},${I},outcome="error_closed",level="key",dimension="tokens"}`, '0+30x10'],
      ],
      at: '5m',
      expect: [{}],
    },
    {
      name: 'some limited, none failing',
      series: [
        [`aihub_ratelimit_decisions_total{${J},${I},outcome="limited",level="key",dimension="tokens"}`, '0+30x10'],
      ],
      at: '5m',
      expect: [],
    },
  ],
  AihubUsageQueueLagGrowing: [
    {
      name: 'lag above 1000 and growing',
      series: [[`aihub_usage_queue_lag{${J},${I}}`, '2000+100x30']],
      at: '25m',
      expect: [{ job: 'aihub', instance: 'gw-1:8080' }],
    },
    { name: 'lag high but flat', series: [[`aihub_usage_queue_lag{${J},${I}}`, '2000x30']], at: '25m', expect: [] },
    { name: 'lag growing but small', series: [[`aihub_usage_queue_lag{${J},${I}}`, '0+10x30']], at: '25m', expect: [] },
  ],
  AihubUsageNotWritten: [
    {
      name: 'events wait, nothing written',
      series: [
        [`aihub_usage_queue_lag{${J},${I}}`, '50x25'],
        [`aihub_usage_records_written_total{${J},${I}}`, '100x25'],
      ],
      at: '22m',
      expect: [{}],
    },
    {
      name: 'events wait and are written',
      series: [
        [`aihub_usage_queue_lag{${J},${I}}`, '50x25'],
        [`aihub_usage_records_written_total{${J},${I}}`, '0+10x25'],
      ],
      at: '22m',
      expect: [],
    },
  ],
  AihubUsageDeadLetters: [
    {
      name: 'records rejected',
      series: [[`aihub_usage_records_rejected_total{${J},${I}}`, '0 0 2 2 2']],
      at: '4m',
      expect: [{}],
    },
    {
      name: 'none rejected lately',
      series: [[`aihub_usage_records_rejected_total{${J},${I}}`, '0 2 2x30']],
      at: '30m',
      expect: [],
    },
  ],
  AihubBudgetAlert: [
    {
      name: 'a budget alert was raised',
      series: [[`aihub_budget_alerts_total{${J},${I},level="tenant",period="daily",kind="soft"}`, '0 0 1 1 1']],
      at: '3m',
      expect: [{ level: 'tenant', period: 'daily', kind: 'soft' }],
    },
    {
      // Budget alerts fire once per budget and period: the counter series appears at 1 and stays there.
      name: 'the first alert of its labels (the series appears at 1)',
      series: [[`aihub_budget_alerts_total{${J},${I},level="key",period="monthly",kind="hard"}`, '_ _ 1 1 1']],
      at: '4m',
      expect: [{ level: 'key', period: 'monthly', kind: 'hard' }],
    },
    {
      name: 'the last one was long ago',
      series: [[`aihub_budget_alerts_total{${J},${I},level="tenant",period="daily",kind="soft"}`, '0 1 1x30']],
      at: '30m',
      expect: [],
    },
    {
      name: 'a series that appeared long ago',
      series: [[`aihub_budget_alerts_total{${J},${I},level="tenant",period="daily",kind="soft"}`, '_ 1 1x30']],
      at: '30m',
      expect: [],
    },
  ],
};

/** Cumulative histogram series for the given buckets (`le` → promtool expanding notation) plus _count. */
function histogram(name: string, labels: string, buckets: Record<string, string>): [string, string][] {
  const out: [string, string][] = Object.entries(buckets).map(([le, values]) => [
    `${name}_bucket{${labels},le="${le}"}`,
    values,
  ]);
  out.push([`${name}_count{${labels}}`, buckets['+Inf']]);
  return out;
}

describe('Prometheus rules', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aihub-rules-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the committed rule file passes `promtool check rules`', async () => {
    const r = await promtool(['check', 'rules', RULES_FILE]);
    assert.equal(r.code, 0, `promtool check rules failed:\n${r.stdout}\n${r.stderr}`);
    const count = alertRules().reduce((n, g) => n + g.rules.length, 0);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${count} rules found`));
  });

  it('every alert has unit cases, and each fires exactly when expected (`promtool test rules`)', async () => {
    const groups = alertRules();
    const severity = new Map(groups.flatMap((g) => g.rules.map((r) => [r.alert, r.severity] as const)));
    assert.deepEqual(
      [...severity.keys()].sort(),
      Object.keys(CASES).sort(),
      'each alert in rules.ts needs cases in rules.test.ts (and no stale ones)',
    );

    const rulesFile = path.join(dir, 'rules.yml');
    await writeFile(rulesFile, renderRules(groups, { annotations: false }));
    const tests: YamlValue[] = Object.entries(CASES).flatMap(([alert, cases]) =>
      cases.map((c) => ({
        name: `${alert}: ${c.name}`,
        interval: '1m',
        input_series: c.series.map(([series, values]) => ({ series, values })),
        alert_rule_test: [
          {
            eval_time: c.at,
            alertname: alert,
            exp_alerts: c.expect.map((labels) => ({ exp_labels: { ...labels, severity: severity.get(alert)! } })),
          },
        ],
      })),
    );
    const testFile = path.join(dir, 'tests.yml');
    await writeFile(testFile, toYaml({ rule_files: [rulesFile], evaluation_interval: '1m', tests }));
    const r = await promtool(['test', 'rules', testFile]);
    assert.equal(r.code, 0, `promtool test rules failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /SUCCESS/);
  });

  it('a wrong expectation makes promtool fail (the unit tests can fail)', async () => {
    const rulesFile = path.join(dir, 'rules-neg.yml');
    await writeFile(rulesFile, renderRules(alertRules(), { annotations: false }));
    const testFile = path.join(dir, 'tests-neg.yml');
    await writeFile(
      testFile,
      toYaml({
        rule_files: [rulesFile],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [{ series: `up{${J},${I}}`, values: '1x5' }],
            alert_rule_test: [
              {
                eval_time: '5m',
                alertname: 'AihubGatewayDown',
                exp_alerts: [{ exp_labels: { job: 'aihub', instance: 'gw-1:8080', severity: 'critical' } }],
              },
            ],
          },
        ],
      }),
    );
    const r = await promtool(['test', 'rules', testFile]);
    assert.notEqual(r.code, 0, 'promtool accepted an alert that cannot fire');
  });
});
