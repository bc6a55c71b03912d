import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  computed,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError, toProblem, type Problem } from '../../core/api/problem';
import { LanguageService } from '../../core/i18n/language.service';
import { PageState } from '../../shared/page-state/page-state';
import { formatMs, formatRatio } from '../overview/ratio';
import { livePoll } from './live-poll';
import { BREAKER_GLYPHS, fillSeries, formatRate, formatUsd, sortBreakers, type MonitorView } from './monitor-view';
import { Sparkline } from './sparkline';

/** Windows the wall offers, in seconds (the gateway keeps 300 s by default: telemetry.monitor.windowSeconds). */
const WINDOWS = [60, 300] as const;

/**
 * `/monitor` (platform admins): the live monitoring wall. Every figure is `GET /admin/v1/monitor`'s
 * — merged over every gateway instance that published in the last few seconds, not only the one
 * that answered — refreshed every few seconds while the tab is visible (one request at a time).
 * "Full screen" puts the wall in the Fullscreen API with a kiosk layout (large type); Escape or the
 * same button leaves it.
 */
@Component({
  selector: 'app-monitor-page',
  // Escape leaves the kiosk wherever focus is (a listener on the wall needs focus inside it).
  host: { '(document:keydown.escape)': 'leaveKiosk()' },
  imports: [MatButtonModule, TranslocoDirective, PageState, Sparkline],
  template: `
    <section
      class="page wall"
      [class.kiosk]="kiosk()"
      #wall
      *transloco="let t"
      aria-labelledby="monitor-title"
      data-testid="monitor-wall"
      [attr.data-kiosk]="kiosk()"
    >
      <div class="page-header">
        <h1 id="monitor-title">{{ t('monitor.title') }}</h1>
        <label class="window">
          <span>{{ t('monitor.window') }}</span>
          <select [value]="window()" (change)="setWindow($any($event.target).value)" data-testid="monitor-window">
            @for (w of windows; track w) {
              <option [value]="w">{{ t('monitor.windows.' + w) }}</option>
            }
          </select>
        </label>
        <button
          mat-stroked-button
          type="button"
          (click)="toggleKiosk()"
          [attr.aria-pressed]="kiosk()"
          data-testid="monitor-fullscreen"
        >
          {{ kiosk() ? t('monitor.exitFullscreen') : t('monitor.fullscreen') }}
        </button>
      </div>
      @if (view(); as v) {
        <p class="muted" data-testid="monitor-status">
          @if (poll.paused()) {
            {{ t('monitor.paused') }} ·
          }
          {{ t('monitor.updated', { time: time(v.generated_at) }) }} ·
          {{ t('monitor.instances', { n: v.instances.length }) }} · {{ t('monitor.source.' + v.source) }}
        </p>
      }
      <app-page-state [loading]="!view() && !problem()" [error]="problem()" (retry)="poll.refresh()" />

      @if (view(); as v) {
        @let c = v.cluster;
        @let pts = points();
        <dl class="tiles" data-testid="monitor-tiles">
          <div class="tile">
            <dt>{{ t('monitor.requestsPerSecond') }}</dt>
            <dd data-testid="mon-rps" [attr.data-value]="c.requests_per_second">{{ rate(c.requests_per_second) }}</dd>
            <dd class="sub" data-testid="mon-requests" [attr.data-value]="c.requests">
              {{ t('monitor.inWindow', { n: count(c.requests) }) }}
            </dd>
            <dd class="line"><app-sparkline [values]="pick(pts, 'requests')" /></dd>
          </div>
          <div class="tile" [class.alarm]="c.errors.total > 0">
            <dt>{{ t('monitor.errorsPerSecond') }}</dt>
            <dd data-testid="mon-eps" [attr.data-value]="c.errors_per_second">{{ rate(c.errors_per_second) }}</dd>
            <dd
              class="sub"
              data-testid="mon-errors"
              [attr.data-value]="c.errors.total"
              [attr.data-client]="c.errors.client"
              [attr.data-rate-limited]="c.errors.rate_limited"
              [attr.data-server]="c.errors.server"
            >
              {{
                t('monitor.errorClasses', {
                  client: count(c.errors.client),
                  limited: count(c.errors.rate_limited),
                  server: count(c.errors.server),
                })
              }}
            </dd>
            <dd class="line"><app-sparkline [values]="pick(pts, 'errors')" /></dd>
          </div>
          <div class="tile">
            <dt>{{ t('monitor.latencyP95') }}</dt>
            <dd data-testid="mon-p95" [attr.data-value]="c.latency_ms.p95">{{ ms(c.latency_ms.p95) }}</dd>
            <dd class="sub" data-testid="mon-p50" [attr.data-value]="c.latency_ms.p50">
              {{ t('monitor.p50', { v: ms(c.latency_ms.p50) }) }}
            </dd>
            <dd class="line"><app-sparkline [values]="pick(pts, 'latency_p95_ms')" /></dd>
          </div>
          <div class="tile">
            <dt>{{ t('monitor.ttftP95') }}</dt>
            <dd data-testid="mon-ttft-p95" [attr.data-value]="c.ttft_ms.p95">{{ ms(c.ttft_ms.p95) }}</dd>
            <dd class="sub" data-testid="mon-ttft-p50" [attr.data-value]="c.ttft_ms.p50">
              {{ t('monitor.p50', { v: ms(c.ttft_ms.p50) }) }}
            </dd>
            <dd class="line"><app-sparkline [values]="pick(pts, 'ttft_p95_ms')" /></dd>
          </div>
          <div class="tile">
            <dt>{{ t('monitor.spendPerMinute') }}</dt>
            <dd data-testid="mon-spend-per-minute" [attr.data-value]="c.spend_per_minute_usd">
              {{ usd(c.spend_per_minute_usd) }}
            </dd>
            <dd class="sub" data-testid="mon-spend" [attr.data-value]="c.spend_usd">
              {{ t('monitor.inWindow', { n: usd(c.spend_usd) }) }}
            </dd>
            <dd class="line"><app-sparkline [values]="pick(pts, 'spend_usd')" /></dd>
          </div>
          <div class="tile">
            <dt>{{ t('monitor.cacheHitRatio') }}</dt>
            <dd data-testid="mon-cache-ratio" [attr.data-value]="c.cache.hit_ratio">{{ ratio(c.cache.hit_ratio) }}</dd>
            <dd class="sub" data-testid="mon-cache" [attr.data-hits]="c.cache.hits" [attr.data-misses]="c.cache.misses">
              {{ t('monitor.cacheDetail', { hits: count(c.cache.hits), misses: count(c.cache.misses) }) }}
            </dd>
            <dd class="line"><app-sparkline [values]="pick(pts, 'cache_hits')" /></dd>
          </div>
          <div class="tile">
            <dt>{{ t('monitor.rateLimited') }}</dt>
            <dd data-testid="mon-rate-limited" [attr.data-value]="c.rate_limited">{{ count(c.rate_limited) }}</dd>
            <dd class="sub">{{ t('monitor.rateLimitedDetail') }}</dd>
            <dd class="line"><app-sparkline [values]="pick(pts, 'rate_limited')" /></dd>
          </div>
          <div class="tile">
            <dt>{{ t('monitor.queueLag') }}</dt>
            <dd data-testid="mon-queue-lag" [attr.data-value]="c.queue_lag">
              {{ c.queue_lag === null ? '—' : count(c.queue_lag) }}
            </dd>
            <dd class="sub">{{ t('monitor.queueLagDetail') }}</dd>
          </div>
        </dl>

        <section class="block" aria-labelledby="mon-breakers">
          <h2 id="mon-breakers">{{ t('monitor.breakers') }}</h2>
          @if (breakers().length) {
            <ul class="breakers" data-testid="monitor-breakers">
              @for (b of breakers(); track b.deployment) {
                <li [class]="'breaker ' + b.state" [attr.data-deployment]="b.deployment" [attr.data-state]="b.state">
                  <span class="glyph" aria-hidden="true">{{ glyphs[b.state] }}</span>
                  <span class="mono name">{{ b.deployment }}</span>
                  <span class="state">{{ t('monitor.states.' + b.state) }}</span>
                  @if (b.open_instances || b.half_open_instances) {
                    <span class="muted where">{{
                      t('monitor.breakerWhere', {
                        open: b.open_instances,
                        half: b.half_open_instances,
                        total: v.instances.length,
                      })
                    }}</span>
                  }
                </li>
              }
            </ul>
          } @else {
            <p class="muted">{{ t('monitor.noBreakers') }}</p>
          }
        </section>

        <section class="block instances" aria-labelledby="mon-instances">
          <h2 id="mon-instances">{{ t('monitor.instanceRows') }}</h2>
          <table class="simple" data-testid="monitor-instances">
            <caption class="visually-hidden">
              {{
                t('monitor.instanceRows')
              }}
            </caption>
            <thead>
              <tr>
                <th scope="col">{{ t('monitor.instance') }}</th>
                <th scope="col">{{ t('monitor.lastSeen') }}</th>
                <th scope="col" class="num">{{ t('monitor.requestsPerSecond') }}</th>
                <th scope="col" class="num">{{ t('monitor.errors') }}</th>
                <th scope="col" class="num">{{ t('monitor.latencyP95') }}</th>
                <th scope="col" class="num">{{ t('monitor.spend') }}</th>
                <th scope="col">{{ t('monitor.openBreakers') }}</th>
              </tr>
            </thead>
            <tbody>
              @for (i of v.instances; track i.instance_id) {
                <tr [attr.data-instance]="i.instance_id" [attr.data-requests]="i.requests">
                  <td class="mono">{{ i.instance_id }}</td>
                  <td>{{ time(i.last_seen) }}</td>
                  <td class="num">{{ rate(i.requests_per_second) }}</td>
                  <td class="num">{{ count(i.errors.total) }}</td>
                  <td class="num">{{ ms(i.latency_ms.p95) }}</td>
                  <td class="num">{{ usd(i.spend_usd) }}</td>
                  <td>{{ openOn(i.breakers) || '—' }}</td>
                </tr>
              }
            </tbody>
          </table>
        </section>
      }
    </section>
  `,
  styles: `
    .wall {
      --tile-value: var(--mat-sys-headline-medium);
    }
    .page-header {
      display: flex;
      gap: 12px;
      align-items: center;
      flex-wrap: wrap;
    }
    .window {
      display: inline-flex;
      gap: 6px;
      align-items: center;
    }
    .window select {
      font: inherit;
      padding: 6px 8px;
      border-radius: 8px;
      border: 1px solid var(--mat-sys-outline);
      background: var(--mat-sys-surface);
      color: var(--mat-sys-on-surface);
    }
    .tiles {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
      gap: 12px;
      margin: 16px 0;
    }
    .tile {
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 12px;
      padding: 12px 16px;
      display: flex;
      flex-direction: column;
    }
    .tile.alarm {
      border-color: var(--mat-sys-error);
    }
    .tile dt {
      font: var(--mat-sys-label-large);
      color: var(--mat-sys-on-surface-variant);
    }
    .tile dd {
      margin: 0;
    }
    .tile dd:nth-of-type(1) {
      font: var(--tile-value);
      font-variant-numeric: tabular-nums;
      margin: 4px 0;
    }
    .tile .sub {
      font: var(--mat-sys-body-small);
      color: var(--mat-sys-on-surface-variant);
    }
    .tile .line {
      margin-top: auto;
      padding-top: 8px;
    }
    .breakers {
      list-style: none;
      padding: 0;
      margin: 0;
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(260px, 1fr));
      gap: 8px;
    }
    .breaker {
      display: flex;
      gap: 8px;
      align-items: baseline;
      flex-wrap: wrap;
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 8px;
      padding: 8px 12px;
    }
    .breaker .glyph {
      font-weight: 700;
      width: 1.2em;
      text-align: center;
    }
    .breaker .state {
      font-weight: 600;
    }
    .breaker.open {
      border-color: var(--mat-sys-error);
      border-width: 2px;
    }
    .breaker.open .state,
    .breaker.open .glyph {
      color: var(--mat-sys-error);
    }
    .breaker .where {
      flex-basis: 100%;
      font: var(--mat-sys-body-small);
    }
    table.simple {
      width: 100%;
      border-collapse: collapse;
    }
    table.simple th,
    table.simple td {
      padding: 6px 8px;
      border-bottom: 1px solid var(--mat-sys-outline-variant);
      text-align: start;
    }
    .num {
      text-align: end !important;
      font-variant-numeric: tabular-nums;
    }
    section.block {
      margin-top: 24px;
    }
    h2 {
      font: var(--mat-sys-title-medium);
    }
    /* The wall display: the whole screen, large type, same content. */
    .tile dd:nth-of-type(1) {
      overflow-wrap: anywhere;
    }
    .kiosk {
      position: fixed;
      inset: 0;
      z-index: 1000;
      overflow: auto;
      margin: 0;
      max-width: none;
      padding: 24px 32px;
      background: var(--mat-sys-surface);
      color: var(--mat-sys-on-surface);
      font-size: 1.25rem;
      --tile-value: 600 clamp(2.25rem, 3.2vw, 3.5rem)/1.15 var(--mat-sys-body-large-font, sans-serif);
      --spark-height: 64px;
    }
    .kiosk .page-header button {
      font-size: 1.1rem;
    }
    .kiosk h1 {
      font-size: 2.25rem;
    }
    .kiosk h2 {
      font-size: 1.6rem;
    }
    .kiosk .tiles {
      grid-template-columns: repeat(auto-fill, minmax(280px, 1fr));
      gap: 16px;
    }
    .kiosk .tile dt {
      font-size: 1.25rem;
    }
    .kiosk .tile .sub,
    .kiosk .breaker .where {
      font-size: 1.05rem;
      line-height: 1.35;
    }
    .kiosk .breaker {
      font-size: 1.4rem;
    }
    .kiosk .mono {
      font-size: 1.2rem;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class MonitorPage {
  private readonly api = inject(ApiClient);
  private readonly lang = inject(LanguageService);
  private readonly wall = viewChild<ElementRef<HTMLElement>>('wall');
  readonly windows = WINDOWS;
  readonly glyphs = BREAKER_GLYPHS;
  readonly window = signal<number>(60);
  readonly view = signal<MonitorView | null>(null);
  readonly problem = signal<Problem | null>(null);
  readonly kiosk = signal(false);

  readonly points = computed(() => {
    const v = this.view();
    return v ? fillSeries(v.cluster.series, v.window_seconds, v.interval_ms, v.generated_at) : [];
  });
  readonly breakers = computed(() => sortBreakers(this.view()?.cluster.breakers ?? []));

  /** At the gateway's publication rate (no faster: nothing new would come), at least every 2 s. */
  readonly poll = livePoll(
    () => this.load(),
    () => Math.max(2000, this.view()?.interval_ms ?? 2000),
  );

  constructor() {
    // Leaving full screen with the browser's own Escape or gesture ends the kiosk layout too.
    const onChange = () => {
      if (!document.fullscreenElement) this.kiosk.set(false);
    };
    document.addEventListener('fullscreenchange', onChange);
    inject(DestroyRef).onDestroy(() => document.removeEventListener('fullscreenchange', onChange));
  }

  private async load(): Promise<void> {
    const window = this.window();
    try {
      const v = await this.api.call(this.api.client.GET('/admin/v1/monitor', { params: { query: { window } } }));
      if (window !== this.window()) return; // the window changed while this answer was on its way
      this.view.set(v);
      this.problem.set(null);
    } catch (err) {
      this.problem.set(err instanceof ApiError ? err.problem : toProblem(0, undefined));
    }
  }

  setWindow(value: string): void {
    this.window.set(Number(value));
    this.view.set(null);
    void this.poll.refresh();
  }

  async toggleKiosk(): Promise<void> {
    if (this.kiosk()) return this.leaveKiosk();
    this.kiosk.set(true);
    // The kiosk layout covers the window even where the Fullscreen API is refused (an iframe, a policy).
    await this.wall()
      ?.nativeElement.requestFullscreen?.()
      .catch(() => {});
  }

  async leaveKiosk(): Promise<void> {
    if (!this.kiosk()) return;
    this.kiosk.set(false);
    if (document.fullscreenElement) await document.exitFullscreen().catch(() => {});
  }

  pick(
    points: MonitorView['cluster']['series'],
    key: 'requests' | 'errors' | 'spend_usd' | 'latency_p95_ms' | 'ttft_p95_ms' | 'cache_hits' | 'rate_limited',
  ): (number | null)[] {
    return points.map((p) => p[key]);
  }
  openOn(breakers: { deployment: string; state: string }[]): string {
    return breakers
      .filter((b) => b.state !== 'closed')
      .map((b) => b.deployment)
      .join(', ');
  }
  count(n: number): string {
    return n.toLocaleString(this.lang.current());
  }
  rate(n: number): string {
    return formatRate(n, this.lang.current());
  }
  usd(n: number): string {
    return formatUsd(n, this.lang.current());
  }
  ratio(r: number | null): string {
    return formatRatio(r, this.lang.current());
  }
  ms(v: number | null): string {
    return formatMs(v, this.lang.current());
  }
  time(iso: string): string {
    return new Intl.DateTimeFormat(this.lang.current(), { timeStyle: 'medium' }).format(new Date(iso));
  }
}
