import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DASHBOARD_DIR, generatedFiles, REPO_ROOT } from './artifacts';
import { DASHBOARDS, PROMETHEUS_UID } from './dashboards';
import { METRIC_LIST } from './metricNames';
import {
  dashboardQueries,
  expandVariables,
  metricsIn,
  panelsOf,
  ruleQueries,
  seriesIn,
  variableQueries,
} from './queries';
import { alertRules } from './rules';

const built = DASHBOARDS.map((d) => ({
  file: d.file,
  json: JSON.parse(JSON.stringify(d.build())) as Record<string, unknown>,
}));
const values = {
  rateInterval: '1m',
  interval: '15s',
  range: '1h',
  vars: { instance: '.+', datasource: PROMETHEUS_UID },
};

describe('generated files', () => {
  it('the committed dashboards and rules equal a fresh build (run `npm run build:dashboards` after changing observability/src)', async () => {
    for (const [file, contents] of generatedFiles()) {
      const committed = await readFile(file, 'utf8').catch(() => '<missing>');
      assert.equal(
        committed,
        contents,
        `${path.relative(REPO_ROOT, file)} drifted from observability/src; run npm run build:dashboards`,
      );
    }
  });

  it('docker/grafana/dashboards holds only generated dashboards', async () => {
    const files = (await readdir(DASHBOARD_DIR)).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(files, DASHBOARDS.map((d) => d.file).sort());
  });
});

describe('dashboards', () => {
  it('have unique uids and titles, the aihub tag and a Prometheus datasource variable defaulting to uid "prometheus"', () => {
    const uids = built.map((b) => b.json.uid);
    assert.equal(new Set(uids).size, uids.length);
    assert.equal(new Set(built.map((b) => b.json.title)).size, built.length);
    for (const { json } of built) {
      assert.ok((json.tags as string[]).includes('aihub'), `${json.uid} lacks the aihub tag`);
      const vars = (
        json.templating as { list: { name: string; type: string; query: unknown; current?: { value: unknown } }[] }
      ).list;
      const ds = vars.find((v) => v.name === 'datasource');
      assert.ok(ds, `${json.uid} has no datasource variable`);
      assert.equal(ds.type, 'datasource');
      assert.equal(ds.query, 'prometheus');
      assert.equal(ds.current?.value, PROMETHEUS_UID);
    }
  });

  it('every panel has at least one query, each on the datasource variable with a unique refId', () => {
    for (const { json } of built) {
      const panels = panelsOf(json);
      assert.ok(panels.length >= 4, `${json.uid} has only ${panels.length} panels`);
      for (const p of panels) {
        const where = `${json.uid} / ${p.title}`;
        const targets =
          (p as { targets?: { expr?: string; refId?: string; datasource?: { uid?: string } }[] }).targets ?? [];
        assert.equal(
          (p as { datasource?: { uid?: string } }).datasource?.uid,
          '${datasource}',
          `${where}: the panel uses the datasource variable`,
        );
        assert.ok(targets.length > 0, `${where} has no query`);
        for (const t of targets) {
          assert.ok(t.expr && t.expr.trim(), `${where} has an empty query`);
          assert.equal(t.datasource?.uid, '${datasource}', `${where} does not use the datasource variable`);
        }
        const refIds = targets.map((t) => t.refId);
        assert.equal(new Set(refIds).size, refIds.length, `${where} repeats a refId`);
      }
    }
  });

  it('panel ids are unique within each dashboard', () => {
    for (const { json } of built) {
      const ids = (json.panels as { id?: number }[]).map((p) => p.id);
      assert.ok(
        ids.every((id) => typeof id === 'number' && id > 0),
        `${json.uid} has a panel without id`,
      );
      assert.equal(new Set(ids).size, ids.length, `${json.uid} repeats a panel id`);
    }
  });

  it('queries name only catalogued metrics (or up), and every catalogued metric is on a dashboard', () => {
    const used = new Set<string>();
    for (const { json } of built) {
      for (const query of dashboardQueries(json)) {
        const { metrics, unknown, other } = metricsIn(query.expr);
        assert.deepEqual(
          unknown,
          [],
          `${query.dashboard} / ${query.panel}: not in observability/src/metricNames.ts: ${unknown.join(', ')}`,
        );
        assert.ok(
          other.every((s) => s === 'up'),
          `${query.dashboard} / ${query.panel}: unexpected series ${other.join(', ')}`,
        );
        assert.ok(
          metrics.length + other.length > 0,
          `${query.dashboard} / ${query.panel}: reads no metric: ${query.expr}`,
        );
        for (const m of metrics) used.add(m.name);
      }
    }
    const unused = METRIC_LIST.filter((m) => !used.has(m.name)).map((m) => m.name);
    assert.deepEqual(unused, [], 'catalogued metrics that no dashboard shows');
  });

  it('latency panels from histograms ask for exemplars', () => {
    for (const { json } of built) {
      const byPanel = new Map<string, boolean>();
      for (const query of dashboardQueries(json)) {
        if (!query.expr.startsWith('histogram_quantile(')) continue;
        byPanel.set(query.panel, (byPanel.get(query.panel) ?? false) || query.exemplar);
      }
      for (const [panel, exemplar] of byPanel) {
        if (panel.includes('p95 latency') && !panel.includes('by route')) continue; // the headline stat: no dots on a single value
        assert.ok(exemplar, `${json.uid} / ${panel} shows a histogram quantile without exemplars`);
      }
    }
    const overview = dashboardQueries(built[0].json).filter(
      (q) => q.exemplar && q.expr.includes('aihub_http_request_duration_seconds_bucket'),
    );
    assert.ok(overview.length >= 1, 'the overview latency panel has exemplars enabled');
  });

  it('every Grafana variable in queries expands to plain PromQL', () => {
    for (const { json } of built) {
      for (const query of [...dashboardQueries(json).map((q) => q.expr), ...variableQueries(json).map((v) => v.expr)]) {
        const expanded = expandVariables(query, values);
        assert.doesNotMatch(expanded, /\$/, expanded);
      }
    }
  });
});

describe('query helpers', () => {
  it('seriesIn finds series and ignores functions, labels, label values and windows', () => {
    assert.deepEqual(
      seriesIn(
        'histogram_quantile(0.99, sum by (le, route) (rate(aihub_http_request_duration_seconds_bucket{instance=~"$instance",route!~"/v1/.+"}[$__rate_interval])))',
      ),
      ['aihub_http_request_duration_seconds_bucket'],
    );
    assert.deepEqual(seriesIn('absent(up{job="aihub"} == 1)'), ['up']);
    assert.deepEqual(
      seriesIn(
        'aihub_usage_queue_lag{job="aihub"} > 1000 and deriv(aihub_usage_queue_lag{job="aihub"}[15m]) > 0',
      ).sort(),
      ['aihub_usage_queue_lag'],
    );
    assert.deepEqual(
      seriesIn(
        '(sum by (layer) (rate(a_total{result="hit"}[1m])) or 0 * sum by (layer) (rate(b_total[1m]))) / c',
      ).sort(),
      ['a_total', 'b_total', 'c'],
    );
  });

  it('metricsIn maps histogram series to their family and reports unknown aihub_ names', () => {
    const r = metricsIn('sum(rate(aihub_http_request_duration_seconds_count[1m])) + aihub_nope_total');
    assert.deepEqual(
      r.metrics.map((m) => m.name),
      ['aihub_http_request_duration_seconds'],
    );
    assert.deepEqual(r.unknown, ['aihub_nope_total']);
  });

  it('expandVariables fails on a variable it does not know', () => {
    assert.throws(() => expandVariables('rate(x[$__foo])', values), /unknown Grafana variable/);
    assert.equal(expandVariables('rate(x{i=~"$instance"}[$__rate_interval])', values), 'rate(x{i=~".+"}[1m])');
  });

  it('rule expressions name only catalogued metrics (or up)', () => {
    for (const r of ruleQueries(alertRules())) {
      const { unknown, other } = metricsIn(r.expr);
      assert.deepEqual(unknown, [], `${r.alert}: ${unknown.join(', ')} not catalogued`);
      assert.ok(
        other.every((s) => s === 'up'),
        `${r.alert}: unexpected series ${other.join(', ')}`,
      );
    }
  });
});
