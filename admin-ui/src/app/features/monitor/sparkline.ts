import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { NgxEchartsDirective, provideEchartsCore } from 'ngx-echarts';
import { LineChart } from 'echarts/charts';
import { GridComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';

// Only a line, only in this lazy chunk: echarts never reaches the initial bundle.
echarts.use([LineChart, GridComponent, CanvasRenderer]);

/**
 * A small trend line under a tile. Decorative (aria-hidden): the tile's figure and the route's
 * numbers carry the meaning; the line only shows the shape of the window.
 */
@Component({
  selector: 'app-sparkline',
  imports: [NgxEchartsDirective],
  providers: [provideEchartsCore({ echarts })],
  template: `<div echarts [options]="options()" class="spark" aria-hidden="true"></div>`,
  styles: `
    .spark {
      height: var(--spark-height, 40px);
      width: 100%;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Sparkline {
  readonly values = input.required<(number | null)[]>();

  readonly options = computed<EChartsCoreOption>(() => {
    const values = this.values();
    // A point with gaps on both sides (latency in one busy bucket) draws no line: mark it with a dot.
    const lone = (i: number) =>
      values[i] !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null;
    return {
      animation: false,
      grid: { left: 0, right: 0, top: 2, bottom: 2 },
      xAxis: { type: 'category', show: false, boundaryGap: false, data: values.map((_, i) => i) },
      yAxis: { type: 'value', show: false, min: 0 },
      series: [
        {
          type: 'line',
          data: values,
          showSymbol: true,
          symbolSize: (_: unknown, p: { dataIndex: number }) => (lone(p.dataIndex) ? 5 : 0),
          connectNulls: false,
          lineStyle: { width: 2 },
          areaStyle: { opacity: 0.15 },
        },
      ],
    };
  });
}
