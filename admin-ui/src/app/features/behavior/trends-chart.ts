import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { NgxEchartsDirective, provideEchartsCore } from 'ngx-echarts';
import { LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';

// Only what the chart uses, and only in this lazy chunk: echarts never reaches the initial bundle.
echarts.use([LineChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, CanvasRenderer]);

/** One line per event name over the UTC buckets. */
export interface TrendSeries {
  name: string;
  counts: number[];
}

/** Events per bucket, one line per event. A picture of the table below it (which screen readers use). */
@Component({
  selector: 'app-trends-chart',
  imports: [NgxEchartsDirective],
  providers: [provideEchartsCore({ echarts })],
  template: `<div
    echarts
    [options]="options()"
    class="chart"
    role="img"
    [attr.aria-label]="label()"
    data-testid="trends-chart"
  ></div>`,
  styles: `
    .chart {
      height: 300px;
      width: 100%;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TrendsChart {
  readonly buckets = input.required<string[]>();
  readonly series = input.required<TrendSeries[]>();
  readonly label = input('');

  readonly options = computed<EChartsCoreOption>(() => ({
    aria: { enabled: true },
    animation: false,
    grid: { left: 56, right: 24, top: 48, bottom: 32 },
    legend: { top: 0, left: 'center', type: 'scroll' },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: this.buckets() },
    yAxis: { type: 'value', minInterval: 1 },
    series: this.series().map((s) => ({
      name: s.name,
      type: 'line',
      data: s.counts,
      showSymbol: this.buckets().length < 60,
    })),
  }));
}
