import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { NgxEchartsDirective, provideEchartsCore } from 'ngx-echarts';
import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';
import { formatMicros, formatMicrosShort } from './money';

// Only what the chart uses (tree-shaken), and only in this lazy chunk: echarts never reaches the initial bundle.
echarts.use([BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, CanvasRenderer]);

/** One point of the daily series. */
export interface UsagePoint {
  day: string;
  cost_micros: number;
  total_tokens: number;
  requests: number;
}

/**
 * Cost (bars) and tokens (line) per UTC day. The chart is a picture of the table below it, which
 * screen readers use; the canvas carries ECharts' generated description (aria).
 */
@Component({
  selector: 'app-usage-chart',
  imports: [NgxEchartsDirective],
  providers: [provideEchartsCore({ echarts })],
  template: `<div
    echarts
    [options]="options()"
    class="chart"
    role="img"
    [attr.aria-label]="label()"
    data-testid="usage-chart"
  ></div>`,
  styles: `
    .chart {
      height: 280px;
      width: 100%;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UsageChart {
  readonly points = input.required<UsagePoint[]>();
  readonly locale = input('en');
  readonly costLabel = input('Cost');
  readonly tokensLabel = input('Tokens');
  readonly label = input('');

  readonly options = computed<EChartsCoreOption>(() => {
    const pts = this.points();
    const locale = this.locale();
    return {
      aria: { enabled: true },
      animation: false,
      grid: { left: 72, right: 64, top: 56, bottom: 32 },
      legend: { top: 0, left: 'center', data: [this.costLabel(), this.tokensLabel()] },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v: unknown) => String(v),
        formatter: (items: { seriesName: string; dataIndex: number; axisValue: string }[]) => {
          const p = pts[items[0]?.dataIndex ?? 0];
          if (!p) return '';
          return `${items[0].axisValue} (UTC)<br>${this.costLabel()}: ${formatMicros(p.cost_micros, locale)}<br>${this.tokensLabel()}: ${p.total_tokens.toLocaleString(locale)}`;
        },
      },
      xAxis: { type: 'category', data: pts.map((p) => p.day) },
      yAxis: [
        {
          type: 'value',
          name: this.costLabel(),
          axisLabel: { formatter: (v: number) => formatMicrosShort(v, locale) },
        },
        { type: 'value', name: this.tokensLabel(), splitLine: { show: false } },
      ],
      series: [
        { name: this.costLabel(), type: 'bar', data: pts.map((p) => p.cost_micros), yAxisIndex: 0 },
        { name: this.tokensLabel(), type: 'line', data: pts.map((p) => p.total_tokens), yAxisIndex: 1, smooth: false },
      ],
    };
  });
}
