/**
 * The dashboards check (DESIGN §6): real gateways (embedded SQLite + memory, and PostgreSQL + Redis)
 * with every plugin that exists, real traffic, a real Prometheus (Debian's binary) scraping them every
 * second with the generated alert rules loaded; then every panel query, variable query and alert
 * expression of the generated dashboards and rules runs through Prometheus' HTTP API. Also checks the
 * /metrics exposition (Prometheus text parsed by promtool, OpenMetrics with trace-id exemplars stored
 * by Prometheus), OTLP span export with per-plugin hook spans and W3C + Jaeger trace continuation, and
 * config/aihub.production.yaml.
 *
 * Needs `prometheus`/`promtool` and `redis-server` (CI installs them; nothing is skipped without them).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, loadConfig, prepare, type PluginDefinition } from '@aihub/core';
import {
  DASHBOARDS,
  GATEWAY_JOB,
  METRIC_LIST,
  alertRules,
  dashboardQueries,
  expandVariables,
  metricsIn,
  ruleQueries,
  seriesNames,
  SLOS,
  errorRatioExpr,
  sloRulesDoc,
  variableQueries,
  type MetricSpec,
  type TrafficKind,
} from '@aihub/observability';
import {
  startOtlpReceiver,
  startTestGateway,
  type ExportedSpan as ReceivedSpan,
  type OtlpReceiver,
} from '@aihub/core/testing';
import {
  aiStandInPlugin,
  availablePlugins,
  FLAKY_DEPLOYMENT,
  pluginConfigFor,
  probePlugin,
  REPO_ROOT,
} from './support/observability-plugins';
import { freePort, waitFor } from './support/observability-process';
import { PROMETHEUS_INSTALL, startPrometheus, type Prometheus } from './support/observability-prometheus';
import { startOwnRedis, type OwnRedis } from './support/observability-redis';
import { GENERATORS, type GatewayUnderTest } from './support/observability-traffic';

const RULES_FILE = path.join(REPO_ROOT, 'docker', 'prometheus', 'rules', 'aihub.rules.yml');
const SLO_RULES_FILE = path.join(REPO_ROOT, 'docker', 'prometheus', 'rules', 'aihub-slo.rules.yml');
const DASHBOARD_DIR = path.join(REPO_ROOT, 'docker', 'grafana', 'dashboards');
/** Grafana variables when panel queries run outside Grafana: windows cover the whole test run. */
const VARIABLES = { rateInterval: '1m', interval: '1s', range: '5m', vars: { instance: '.+' } };

const TRACE_W3C = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_W3C = '00f067aa0ba902b7';
const TRACE_JAEGER = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const PARENT_JAEGER = '0123456789abcdef';

let otlp: OtlpReceiver;
let redis: OwnRedis | undefined;
let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let prometheus: Prometheus | undefined;
const gateways: GatewayUnderTest[] = [];
let plugins: Awaited<ReturnType<typeof availablePlugins>>;
const generated = new Set<TrafficKind>();
/** Trace ids of requests sent to the traced gateway, by what they test. */
const traced: { fresh?: string; w3c?: string; jaeger?: string } = {};
/** Series names Prometheus holds, by backend. */
const present = new Map<string, Set<string>>();

function traceIdOf(res: Response): string {
  const tp = res.headers.get('traceparent');
  assert.ok(tp, 'a sampled response carries a traceparent header');
  return tp.split('-')[1];
}

describe('observability: dashboards, rules and telemetry against a real Prometheus', { timeout: 110_000 }, () => {
  before(async () => {
    otlp = await startOtlpReceiver();
    plugins = await availablePlugins();
    // Without the ai plugin, a stand-in serves /v1/chat/completions so cache and usage see AI traffic.
    const definitions: PluginDefinition[] = [
      probePlugin,
      ...(plugins.names.has('ai') ? [] : [aiStandInPlugin]),
      ...plugins.definitions,
    ];
    const pluginConfig = pluginConfigFor(plugins.names);

    const embedded = await startTestGateway({
      plugins: definitions,
      pluginConfig,
      config: {
        telemetry: {
          tracing: { endpoint: `${otlp.url}/v1/traces`, sampleRatio: 1 },
          metrics: { processMetrics: true },
        },
      },
    });
    gateways.push({ backend: 'embedded', gw: embedded });

    redis = await startOwnRedis();
    db = await createTestDatabase('postgres');
    const pgRedis = await startTestGateway({
      plugins: definitions,
      pluginConfig,
      config: {
        database: { url: db.url },
        redis: { url: redis.url },
        telemetry: { metrics: { processMetrics: true } },
      },
    });
    gateways.push({ backend: 'pg-redis', gw: pgRedis, redis });

    prometheus = await startPrometheus({
      job: GATEWAY_JOB,
      targets: gateways.map((g) => ({ address: new URL(g.gw.url).host, labels: { backend: g.backend } })),
      ruleFiles: [RULES_FILE, SLO_RULES_FILE],
    });

    // Traffic: every kind whose plugins are loaded, twice with a scrape in between. A labelled counter
    // has no series until its first increment, and rate() needs the series seen before it grows.
    const ctx = { gateways, plugins: plugins.names };
    const runnable = GENERATORS.filter((g) => g.needs.every((n) => plugins.names.has(n)));
    for (let round = 1; round <= 2; round++) {
      for (const g of runnable) {
        await g.run(ctx);
        for (const k of g.kinds) generated.add(k);
      }
      await scrapeBarrier(round);
    }

    // Traced requests (the embedded gateway exports spans to the OTLP receiver). Each bucket of a
    // histogram keeps its latest exemplar only, so each request is followed by a scrape.
    const tracedRequest = async (headers?: Record<string, string>) => {
      const res = await embedded.fetch('/plugins/obs-probe/ok', { headers });
      await res.arrayBuffer();
      return traceIdOf(res);
    };
    traced.fresh = await tracedRequest();
    await scrapeBarrier(3);
    traced.w3c = await tracedRequest({ traceparent: `00-${TRACE_W3C}-${PARENT_W3C}-01` });
    await scrapeBarrier(4);
    traced.jaeger = await tracedRequest({ 'uber-trace-id': `${TRACE_JAEGER}:${PARENT_JAEGER}:0:1` });
    await scrapeBarrier(5);
    // Two more scrapes so every rate() window holds samples after the last traffic.
    await scrapeBarrier(6);
    for (const s of await prometheus.vector(
      `group by (__name__, backend) ({job="${GATEWAY_JOB}",__name__=~"aihub_.+"})`,
    )) {
      const set = present.get(s.metric.backend) ?? new Set<string>();
      set.add(s.metric.__name__);
      present.set(s.metric.backend, set);
    }
  });

  after(async () => {
    // Reverse order; each step runs even if an earlier one failed.
    for (const g of [...gateways].reverse()) await g.gw.stop().catch(() => {});
    await prometheus?.stop().catch(() => {});
    await redis?.stop().catch(() => {});
    await db?.drop().catch(() => {});
    await otlp?.close().catch(() => {});
  });

  it('loads every plugin that has a src/index.ts', (t) => {
    t.diagnostic(
      `plugins loaded: ${[...plugins.names].join(', ')}; not written yet: ${plugins.absent.join(', ') || 'none'}`,
    );
    assert.deepEqual(plugins.excluded, [], 'plugins left out with AIHUB_OBS_EXCLUDE_PLUGINS');
    assert.ok(plugins.names.has('health') && plugins.names.has('example'));
    assert.deepEqual(
      [...generated].sort(),
      GENERATORS.filter((g) => g.needs.every((n) => plugins.names.has(n)))
        .flatMap((g) => g.kinds)
        .sort(),
    );
  });

  it('serves /metrics as Prometheus text 0.0.4 that promtool parses', async (t) => {
    for (const { backend, gw } of gateways) {
      const res = await gw.fetch('/metrics');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const body = await res.text();
      assert.doesNotMatch(body, /# EOF/, 'no OpenMetrics terminator in text format');
      assert.doesNotMatch(body, / # \{/, 'no exemplars in text format');
      const r = await promtoolCheckMetrics(body);
      assert.ok(
        r.code === 0 || r.code === 3,
        `promtool could not parse the ${backend} exposition (exit ${r.code}):\n${r.output}`,
      );
      assert.doesNotMatch(r.output, /error while linting|parsing error/);
      if (r.output.trim()) t.diagnostic(`promtool lint notes (${backend}):\n${r.output.trim()}`);
      for (const name of [
        'aihub_http_requests_total',
        'aihub_http_request_duration_seconds_bucket',
        'aihub_http_requests_in_flight',
        'aihub_process_cpu_seconds_total',
      ]) {
        assert.match(body, new RegExp(`^${name}[ {]`, 'm'), `${backend} exposes ${name}`);
      }
    }
  });

  it('serves OpenMetrics with trace-id exemplars of sampled requests, and Prometheus stores them', async () => {
    const [{ gw }] = gateways;
    const res = await gw.fetch('/metrics', { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    assert.match(res.headers.get('content-type') ?? '', /^application\/openmetrics-text/);
    const body = await res.text();
    assert.ok(body.trimEnd().endsWith('# EOF'), 'OpenMetrics ends with # EOF');
    const exemplarIds = [
      ...body.matchAll(
        /^aihub_http_request_duration_seconds_bucket\{[^}]*\} \d+ # \{trace_id="([0-9a-f]{32})"\} [0-9.e+-]+/gm,
      ),
    ].map((m) => m[1]);
    assert.ok(exemplarIds.length > 0, 'the duration histogram carries exemplars');
    // A bucket keeps its latest exemplar: the last traced request's.
    assert.ok(
      exemplarIds.includes(traced.jaeger!),
      `exemplar for the last traced request (${traced.jaeger}) in the exposition`,
    );

    const end = Date.now() / 1000;
    const stored = await prometheus!.api<
      { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string> }[] }[]
    >(
      `query_exemplars?query=${encodeURIComponent('aihub_http_request_duration_seconds_bucket{route="/plugins/obs-probe/ok"}')}&start=${end - 600}&end=${end + 60}`,
    );
    const storedIds = new Set(stored.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id)));
    // Each traced request was followed by a scrape, so Prometheus stored the exemplar of every one.
    for (const id of [traced.fresh, traced.w3c, traced.jaeger])
      assert.ok(storedIds.has(id!), `Prometheus stored the exemplar of trace ${id} (has ${[...storedIds].join(', ')})`);
    // Every stored exemplar is a trace the gateway exported: an exemplar click finds its trace.
    await waitFor(
      async () => [...storedIds].every((id) => otlp.spans.some((sp) => sp.traceId === id)),
      10_000,
      'spans for every exemplar trace id',
    );
  });

  it('exports spans over OTLP: a server span per request, a span per plugin hook, W3C and Jaeger parents continued', async () => {
    await waitFor(
      async () =>
        [traced.fresh, traced.w3c, traced.jaeger].every((id) =>
          otlp.spans.some((s) => s.traceId === id && s.kind === 2),
        ),
      15_000,
      'server spans at the OTLP receiver',
    );
    assert.deepEqual(otlp.problems, []);
    // OTLP/HTTP protobuf is the default encoding (the OpenTelemetry SDKs' default too).
    assert.deepEqual([...otlp.encodings], ['application/x-protobuf']);
    const server = (traceId: string) => otlp.spans.find((s) => s.traceId === traceId && s.kind === 2)!;

    const root = server(traced.fresh!);
    assert.equal(root.serviceName, 'aihub');
    assert.equal(root.name, 'GET /plugins/obs-probe/ok');
    assert.equal(root.parentSpanId, '', 'a request without trace headers starts a trace');
    await waitFor(async () => hookSpans(traced.fresh!, root).length >= 2, 10_000, 'hook spans');
    const hooks = hookSpans(traced.fresh!, root);
    const byPlugin = new Set(hooks.map((s) => s.attributes['aihub.plugin']));
    assert.ok(byPlugin.has('obs-probe'), `a span for the obs-probe hook (got ${[...byPlugin].join(', ')})`);
    assert.ok(byPlugin.has('example'), `a span for the example plugin's hook (got ${[...byPlugin].join(', ')})`);
    for (const s of hooks) {
      assert.equal(s.name, `${s.attributes['aihub.plugin']} ${s.attributes['aihub.phase']}`);
      assert.ok(s.attributes['aihub.hook'], 'hook spans name their hook');
    }

    assert.equal(traced.w3c, TRACE_W3C, 'the response continues the caller’s W3C trace');
    assert.equal(server(TRACE_W3C).parentSpanId, PARENT_W3C);
    assert.equal(traced.jaeger, TRACE_JAEGER, 'the response continues the caller’s Jaeger trace');
    assert.equal(server(TRACE_JAEGER).parentSpanId, PARENT_JAEGER);
  });

  it('Prometheus scrapes every gateway without errors and loads and evaluates every rule', async () => {
    const targets = await prometheus!.api<{
      activeTargets: { labels: Record<string, string>; health: string; lastError: string }[];
    }>('targets?state=active');
    assert.equal(targets.activeTargets.length, gateways.length);
    for (const t of targets.activeTargets)
      assert.deepEqual(
        { backend: t.labels.backend, health: t.health, lastError: t.lastError },
        { backend: t.labels.backend, health: 'up', lastError: '' },
      );

    // The alert groups and the SLO groups (recording rules are listed by their record name).
    const sloGroups = (sloRulesDoc() as { groups: { name: string; rules: { alert?: string; record?: string }[] }[] })
      .groups;
    const expected = [
      ...alertRules().map((g) => ({ name: g.name, rules: g.rules.map((r) => r.alert) })),
      ...sloGroups.map((g) => ({ name: g.name, rules: g.rules.map((r) => (r.alert ?? r.record)!) })),
    ];
    await waitFor(
      async () => {
        const { groups } = await prometheus!.api<{ groups: { rules: { health: string }[] }[] }>('rules');
        return groups.length === expected.length && groups.every((g) => g.rules.every((r) => r.health === 'ok'));
      },
      15_000,
      'every rule group loaded and evaluated',
    );
    const { groups } = await prometheus!.api<{
      groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[];
    }>('rules');
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    assert.deepEqual(
      groups
        .map((g) => ({
          name: g.name,
          rules: g.rules.map((r) => `${r.name}:${r.health}${r.lastError ? ` ${r.lastError}` : ''}`),
        }))
        .sort(byName),
      expected.map((g) => ({ name: g.name, rules: g.rules.map((r) => `${r}:ok`) })).sort(byName),
    );
  });

  it('exposes every catalogued metric of the loaded plugins (after the traffic it needs)', (t) => {
    const union = new Set([...present.values()].flatMap((s) => [...s]));
    const problems: string[] = [];
    const unchecked: string[] = [];
    for (const spec of METRIC_LIST) {
      if (spec.owner !== 'core' && !plugins.names.has(spec.owner)) {
        unchecked.push(`${spec.name} (plugin ${spec.owner} not written yet)`);
        continue;
      }
      if (spec.appearsAfter && !generated.has(spec.appearsAfter)) {
        problems.push(
          `${spec.name} appears only after "${spec.appearsAfter}" traffic, which no generator in test/e2e/support/observability-traffic.ts produces for the loaded plugins`,
        );
        continue;
      }
      if (!exposedBy(spec, union))
        problems.push(
          `${spec.name} (${spec.owner}) is not exposed by any gateway${spec.appearsAfter ? ` even after "${spec.appearsAfter}" traffic` : ''}`,
        );
      else if (!spec.appearsAfter) {
        for (const [backend, set] of present)
          if (!exposedBy(spec, set))
            problems.push(`${spec.name} (${spec.owner}) is not exposed by the ${backend} gateway`);
      }
    }
    const catalogued = new Set(METRIC_LIST.flatMap(seriesNames));
    const extra = [...union].filter((s) => !catalogued.has(s) && !/^aihub_(process|nodejs)_/.test(s)).sort();
    if (unchecked.length) t.diagnostic(`not checked (plugin absent): ${unchecked.join(', ')}`);
    if (extra.length) t.diagnostic(`exposed but on no dashboard: ${extra.join(', ')}`);
    assert.deepEqual(problems, []);
  });

  it('runs every panel query of every dashboard: each parses, and returns series when its metrics exist', async (t) => {
    const union = new Set([...present.values()].flatMap((s) => [...s]));
    const problems: string[] = [];
    let ran = 0;
    let withData = 0;
    for (const d of DASHBOARDS) {
      const json = JSON.parse(await readFile(path.join(DASHBOARD_DIR, d.file), 'utf8')) as unknown;
      const queries = dashboardQueries(json);
      assert.ok(queries.length > 0, `${d.file} has queries`);
      for (const q of queries) {
        const where = `${q.dashboard} / "${q.panel}" ${q.refId}`;
        const expr = expandVariables(q.expr, VARIABLES);
        let result: unknown[];
        try {
          const r = await prometheus!.query(expr);
          result = Array.isArray(r.result) ? r.result : [r.result];
        } catch (err) {
          problems.push(`${where}: ${(err as Error).message}\n    ${expr}`);
          continue;
        }
        ran++;
        const { metrics } = metricsIn(q.expr);
        const missing = metrics.filter((m) => !exposedBy(m, union));
        if (missing.length) continue; // its plugin is absent (the catalogue test fails if it should be there)
        if (result.length === 0)
          problems.push(`${where}: no series although ${metrics.map((m) => m.name).join(', ')} exist\n    ${expr}`);
        else withData++;
      }
      for (const v of variableQueries(json)) {
        try {
          const r = await prometheus!.vector(v.expr);
          if (!r.length) problems.push(`${d.file} variable ${v.name}: no values (${v.expr})`);
        } catch (err) {
          problems.push(`${d.file} variable ${v.name}: ${(err as Error).message}`);
        }
      }
    }
    t.diagnostic(
      `${ran} panel queries ran; ${withData} returned series${withData < ran ? '; the rest read metrics of plugins not written yet' : ''}`,
    );
    assert.deepEqual(problems, []);
    assert.ok(withData > 20, `most panel queries return data (${withData})`);
  });

  it('the SLO error ratios run against the gateways: a ratio in [0, 1] for each SLO after /v1 traffic', async (t) => {
    if (!generated.has('ai-request')) {
      t.diagnostic('no /v1 traffic without the ai plugin: the ratios were only parsed');
    }
    for (const slo of SLOS) {
      const samples = await prometheus!.vector(errorRatioExpr(slo, '5m'));
      if (!generated.has('ai-request')) continue;
      assert.equal(samples.length, 1, `${slo.name}: one ratio over the gateways`);
      const v = Number(samples[0].value[1]);
      assert.ok(v >= 0 && v <= 1, `${slo.name}: ratio ${v}`);
    }
  });

  it('runs every alert rule expression; the alerts the traffic provokes go pending', async () => {
    const problems: string[] = [];
    for (const r of ruleQueries(alertRules())) {
      try {
        await prometheus!.query(r.expr);
      } catch (err) {
        problems.push(`${r.alert}: ${(err as Error).message}`);
      }
    }
    assert.deepEqual(problems, []);
    // Hook errors (obs-probe /boom) happened; with rate-limit, store errors and fail-open decisions; with
    // usage, a budget alert.
    const expected = ['AihubPluginHookErrors'];
    if (generated.has('ratelimit-store-error')) expected.push('AihubRateLimitStoreErrors', 'AihubRateLimitFailingOpen');
    if (generated.has('budget-alert')) expected.push('AihubBudgetAlert');
    if (generated.has('ai-breaker')) expected.push('AihubCircuitBreakerOpen');
    if (generated.has('ai-unpriced')) expected.push('AihubUnpricedModel');
    await waitFor(
      async () => {
        const { alerts } = await prometheus!.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
          'alerts',
        );
        const active = new Set(
          alerts.filter((a) => a.state === 'pending' || a.state === 'firing').map((a) => a.labels.alertname),
        );
        return expected.every((a) => active.has(a));
      },
      10_000,
      `alerts ${expected.join(', ')} pending`,
    );
    const { alerts } = await prometheus!.api<{ alerts: { labels: Record<string, string> }[] }>('alerts');
    const hook = alerts.find((a) => a.labels.alertname === 'AihubPluginHookErrors');
    assert.equal(hook?.labels.plugin, 'obs-probe');
    if (generated.has('ai-breaker')) {
      assert.deepEqual(
        alerts.filter((a) => a.labels.alertname === 'AihubCircuitBreakerOpen').map((a) => a.labels.deployment),
        [FLAKY_DEPLOYMENT],
      );
    }
    assert.ok(
      !alerts.some((a) => a.labels.alertname === 'AihubNoGatewayUp' || a.labels.alertname === 'AihubGatewayDown'),
      'no gateway-down alert while both are up',
    );
  });

  it('config/aihub.production.yaml validates with DATABASE_URL, REDIS_URL and OTEL_* from the environment', async (t) => {
    const file = path.join(REPO_ROOT, 'config', 'aihub.production.yaml');
    const env = {
      DATABASE_URL: 'postgres://aihub:secret@postgres:5432/aihub',
      REDIS_URL: 'redis://redis:6379',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
      OTEL_SERVICE_NAME: 'aihub',
      AIHUB_AUTH_KEY_SECRET: 'an-example-secret-of-at-least-32-characters',
    };
    const { loaded, problems } = await loadConfig({ file, env });
    assert.deepEqual(problems, []);
    const cfg = loaded!.config;
    assert.equal(cfg.database.url, env.DATABASE_URL);
    assert.equal(cfg.redis.url, env.REDIS_URL);
    assert.equal(cfg.telemetry.tracing.endpoint, 'http://jaeger:4318/v1/traces');
    assert.equal(
      cfg.database.migrate,
      'manual',
      'instances do not race to migrate; the compose stack runs `aihub migrate up` once',
    );
    assert.equal(cfg.server.trustProxy, true, 'behind the load balancer');
    assert.deepEqual(
      cfg.plugins.map((p) => p.name),
      ['health', 'tenancy', 'auth', 'console', 'rate-limit', 'cache', 'ai', 'usage', 'behavior', 'ops'],
    );
    // The loaded plugins' configs validate with their own schemas (the others are not written yet).
    const inline = { ...cfg, plugins: cfg.plugins.filter((p) => plugins.names.has(p.name)) };
    const prepared = await prepare({ inline, env: {}, baseDir: path.dirname(file) });
    t.diagnostic(`validated plugin configs: ${prepared.plugins.map((p) => p.definition.name).join(', ')}`);
    assert.ok(prepared.plugins.some((p) => p.definition.name === 'health'));
  });
});

/**
 * Sends the n-th marker request to every gateway and waits until Prometheus has scraped it from all
 * of them: everything sent before is then in Prometheus.
 */
async function scrapeBarrier(n: number): Promise<void> {
  for (const { gw } of gateways) await (await gw.fetch('/plugins/obs-probe/marker')).arrayBuffer();
  await waitFor(
    async () => {
      const v = await prometheus!.vector('aihub_http_requests_total{route="/plugins/obs-probe/marker"}');
      return v.length === gateways.length && v.every((s) => Number(s.value[1]) >= n);
    },
    20_000,
    `Prometheus to scrape marker request ${n} from every gateway`,
  );
}

describe('config/aihub.production.yaml runs the gateway as the Docker image does', { timeout: 110_000 }, () => {
  it('migrate up, then start with NODE_ENV=production: ready on PostgreSQL + Redis, /metrics served, SIGTERM exits 0', async () => {
    const pg = await createTestDatabase('postgres');
    const ownRedis = await startOwnRedis();
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'aihub-prod-data-'));
    const port = await freePort();
    const metricsPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      AIHUB_METRICS_PORT: String(metricsPort),
      DATABASE_URL: pg.url,
      REDIS_URL: ownRedis.url,
      AIHUB_AUTH_KEY_SECRET: 'an-example-secret-of-at-least-32-characters',
      AIHUB_PORT: String(port),
      AIHUB_LOG_LEVEL: 'warn',
      AIHUB_DATA_DIR: dataDir,
    };
    delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    const cli = (args: string[]) =>
      spawn(
        process.execPath,
        [
          '--conditions=aihub-source',
          '--import',
          'tsx',
          path.join(REPO_ROOT, 'core', 'src', 'cli.ts'),
          ...args,
          '--config',
          'config/aihub.production.yaml',
        ],
        {
          cwd: REPO_ROOT,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    const collect = (child: ReturnType<typeof cli>) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      return () => out;
    };
    const exit = (child: ReturnType<typeof cli>) =>
      new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const migrate = cli(['migrate', 'up']);
      const migrateOut = collect(migrate);
      assert.equal(await exit(migrate), 0, migrateOut());

      const gateway = cli(['start']);
      const out = collect(gateway);
      const exited = exit(gateway);
      try {
        await waitFor(
          async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200,
          60_000,
          `the production gateway to be ready\n${out()}`,
        );
        // Production serves metrics on their own listener (telemetry.metrics.port), not the API port.
        assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404);
        const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        assert.equal(metrics.status, 200);
        const body = await metrics.text();
        for (const name of [
          'aihub_http_requests_total',
          'aihub_process_resident_memory_bytes',
          'aihub_circuit_breaker_state',
          'aihub_usage_queue_lag',
        ]) {
          assert.match(body, new RegExp(`^${name}[ {]`, 'm'), `${name} on the production gateway`);
        }
      } finally {
        gateway.kill('SIGTERM');
      }
      assert.equal(await exited, 0, `SIGTERM ends the gateway with exit code 0\n${out()}`);
    } finally {
      await ownRedis.stop();
      await pg.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

function exposedBy(spec: MetricSpec, set: Set<string>): boolean {
  return seriesNames(spec).some((s) => set.has(s));
}

function hookSpans(traceId: string, server: ReceivedSpan): ReceivedSpan[] {
  return otlp.spans.filter(
    (s) => s.traceId === traceId && s.parentSpanId === server.spanId && s.attributes['aihub.plugin'] !== undefined,
  );
}

function promtoolCheckMetrics(body: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', ['check', 'metrics'], { timeout: 30_000 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string }) | null;
      if (e?.code === 'ENOENT')
        return reject(new Error(`promtool is not installed; install it with: ${PROMETHEUS_INSTALL}`));
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, output: `${stdout}${stderr}` });
    });
    child.stdin!.end(body);
  });
}
