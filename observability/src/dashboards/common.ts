import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  FieldColorBuilder,
  FieldColorModeId,
  MappingType,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type Panel,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { PromQL } from '../promql';

/** Datasource uids the Grafana provisioning in docker/grafana/provisioning defines. */
export const PROMETHEUS_UID = 'prometheus';
export const JAEGER_UID = 'jaeger';
/** The Prometheus job name for gateways (docker/prometheus/prometheus.yml); dashboards and rules use it. */
export const GATEWAY_JOB = 'aihub';
/** Tag on every AI Hub dashboard; the dashboard links list dashboards by it. */
export const DASHBOARD_TAG = 'aihub';

/** Every panel query goes to the datasource the `datasource` variable selects. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** PromQL for panels: filtered by the `instance` variable, windows of `$__rate_interval`. */
export const q = new PromQL({ scope: 'instance=~"$instance"', window: '$__rate_interval' });

/** One query of a panel. */
export interface QuerySpec {
  expr: string;
  legend?: string;
  /** Ask Grafana for exemplars (trace ids) of the histogram in this query. */
  exemplar?: boolean;
}

function targets(queries: readonly QuerySpec[]): cog.Builder<cog.Dataquery>[] {
  return queries.map((spec, i) => {
    const b = new DataqueryBuilder()
      .datasource(DATASOURCE)
      .refId(String.fromCharCode(65 + i))
      .expr(spec.expr)
      .legendFormat(spec.legend ?? '__auto')
      .range();
    if (spec.exemplar) b.exemplar(true);
    return b;
  });
}

/** Common panel options. */
export interface PanelOptions {
  title: string;
  description: string;
  unit: string;
  queries: readonly QuerySpec[];
  /** Width in grid columns (24 = full width). */
  width?: number;
  height?: number;
}

/** Ids are assigned per dashboard in insertion order, so panel links (`viewPanel=<id>`) are stable. */
export class DashboardDraft {
  private nextId = 1;
  readonly builder: DashboardBuilder;

  constructor(uid: string, title: string, description: string, tags: readonly string[] = []) {
    this.builder = new DashboardBuilder(title)
      .uid(uid)
      .description(description)
      .tags([DASHBOARD_TAG, ...tags])
      .editable()
      .tooltip(1) // shared crosshair across panels
      .time({ from: 'now-1h', to: 'now' })
      .refresh('30s')
      .timezone('browser')
      .withVariable(
        new DatasourceVariableBuilder('datasource')
          .label('Prometheus')
          .type('prometheus')
          .current({ selected: true, text: 'Prometheus', value: PROMETHEUS_UID }),
      )
      .withVariable(
        new QueryVariableBuilder('instance')
          .label('Gateway instance')
          .datasource(DATASOURCE)
          .query({
            query: `label_values(up{job="${GATEWAY_JOB}"}, instance)`,
            refId: 'PrometheusVariableQueryEditor-VariableQuery',
            qryType: 1,
          })
          .definition(`label_values(up{job="${GATEWAY_JOB}"}, instance)`)
          .refresh(VariableRefresh.OnTimeRangeChanged)
          .sort(VariableSort.NaturalAsc)
          .multi(true)
          .includeAll(true)
          .allValue('.+')
          .current({ selected: true, text: ['All'], value: ['$__all'] }),
      )
      .link(
        new DashboardLinkBuilder('AI Hub')
          .type(DashboardLinkType.Dashboards)
          .tags([DASHBOARD_TAG])
          .asDropdown(true)
          .includeVars(true)
          .keepTime(true),
      );
  }

  row(title: string): this {
    this.builder.withRow(new RowBuilder(title).id(this.nextId++));
    return this;
  }

  private add(panel: cog.Builder<Panel>): this {
    this.builder.withPanel(panel);
    return this;
  }

  /** A time series panel. `stack` stacks series (for parts of a whole, e.g. requests by status). */
  timeseries(o: PanelOptions & { stack?: boolean; bars?: boolean; min?: number }): this {
    const p = new TimeseriesPanel()
      .id(this.nextId++)
      .title(o.title)
      .description(o.description)
      .unit(o.unit)
      .datasource(DATASOURCE)
      .targets(targets(o.queries))
      .span(o.width ?? 12)
      .height(o.height ?? 8)
      .lineWidth(1)
      .fillOpacity(o.stack ? 30 : 10)
      .showPoints(common.VisibilityMode.Never)
      .legend(
        new common.VizLegendOptionsBuilder()
          .showLegend(true)
          .displayMode(common.LegendDisplayMode.List)
          .placement(common.LegendPlacement.Bottom),
      )
      .tooltip(
        new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending),
      );
    if (o.min !== undefined) p.min(o.min);
    if (o.stack) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
    if (o.bars) p.drawStyle(common.GraphDrawStyle.Bars);
    return this.add(p);
  }

  /** A single-value panel with optional thresholds (green below the first step). */
  stat(o: PanelOptions & { thresholds?: { value: number; color: string }[]; mappings?: ValueMapping[] }): this {
    const p = new StatPanel()
      .id(this.nextId++)
      .title(o.title)
      .description(o.description)
      .unit(o.unit)
      .datasource(DATASOURCE)
      .targets(targets(o.queries))
      .span(o.width ?? 6)
      .height(o.height ?? 4)
      .graphMode(common.BigValueGraphMode.Area)
      .colorMode(common.BigValueColorMode.Value)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Thresholds))
      .thresholds(
        new ThresholdsConfigBuilder()
          .mode(ThresholdsMode.Absolute)
          .steps([{ value: null, color: 'green' }, ...(o.thresholds ?? [])]),
      );
    if (o.mappings) p.mappings(o.mappings);
    return this.add(p);
  }

  /** A state timeline (one lane per series) with value → text/colour mappings. */
  stateTimeline(o: PanelOptions & { mappings: ValueMapping[] }): this {
    const p = new StateTimelinePanel()
      .id(this.nextId++)
      .title(o.title)
      .description(o.description)
      .unit(o.unit)
      .datasource(DATASOURCE)
      .targets(targets(o.queries))
      .span(o.width ?? 24)
      .height(o.height ?? 8)
      .mappings(o.mappings)
      .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Thresholds))
      .thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([{ value: null, color: 'green' }]))
      .legend(
        new common.VizLegendOptionsBuilder()
          .showLegend(true)
          .displayMode(common.LegendDisplayMode.List)
          .placement(common.LegendPlacement.Bottom),
      );
    return this.add(p);
  }

  build(): Dashboard {
    return this.builder.build();
  }
}

/** Value → text mapping with colours, e.g. breaker states. */
export function valueMapping(entries: { value: number; text: string; color: string }[]): ValueMapping {
  return {
    type: MappingType.ValueToText,
    options: Object.fromEntries(entries.map((e, index) => [String(e.value), { text: e.text, color: e.color, index }])),
  };
}
