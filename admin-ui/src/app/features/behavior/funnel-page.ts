import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatSelectModule } from '@angular/material/select';
import { TranslocoDirective } from '@jsverse/transloco';
import { LanguageService } from '../../core/i18n/language.service';
import { SessionService } from '../../core/session/session.service';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { dataResource } from '../usage/data-resource';
import { afterFigures } from './after-figures';
import { BehaviorApi } from './behavior-api';
import { decodeSteps, encodeSteps, formatDuration, percent, rangeOf, TABLE_STYLES } from './behavior-range';
import { BehaviorTabs } from './behavior-tabs';
import { BehaviorRangeForm } from './range-form';

/** Conversion windows offered (the route takes up to 90 days). */
export const FUNNEL_WINDOWS = ['1h', '1d', '7d', '14d', '30d', '90d'] as const;
const MAX_STEPS = 10;

/**
 * `/behavior/funnels`: build a funnel from the tenant's known events (steps in order), a conversion
 * window and a UTC day range, all in the URL (shareable); see users, conversion (from the previous
 * step and from the start) and drop-off per step — the funnel route's numbers as they are.
 */
@Component({
  selector: 'app-funnel-page',
  imports: [
    MatButtonModule,
    MatFormFieldModule,
    MatSelectModule,
    TranslocoDirective,
    PageState,
    BehaviorTabs,
    BehaviorRangeForm,
  ],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="funnel-title">
      <div class="page-header">
        <h1 id="funnel-title">{{ t('behavior.title') }}</h1>
      </div>
      <app-behavior-tabs />
      <h2>{{ t('behavior.funnel.title') }}</h2>
      <app-behavior-range [range]="resolved().range" [problem]="resolved().problem" (apply)="url.patch($event)" />

      <fieldset class="builder" data-testid="funnel-builder">
        <legend>{{ t('behavior.funnel.steps') }}</legend>
        <ol>
          @for (s of steps(); track $index; let i = $index) {
            <li class="toolbar-row">
              <mat-form-field subscriptSizing="dynamic">
                <mat-label>{{ t('behavior.funnel.step', { n: i + 1 }) }}</mat-label>
                <mat-select
                  [value]="s"
                  (selectionChange)="setStep(i, $event.value)"
                  [attr.data-testid]="'funnel-step-' + i"
                >
                  @for (e of known(); track e) {
                    <mat-option [value]="e">{{ e }}</mat-option>
                  }
                </mat-select>
              </mat-form-field>
              <button
                mat-button
                type="button"
                (click)="removeStep(i)"
                [disabled]="steps().length <= 2"
                [attr.aria-label]="t('behavior.funnel.remove', { n: i + 1 })"
              >
                {{ t('behavior.funnel.removeShort') }}
              </button>
            </li>
          }
        </ol>
        <div class="toolbar-row">
          <button
            mat-stroked-button
            type="button"
            (click)="addStep()"
            [disabled]="steps().length >= maxSteps"
            data-testid="funnel-add"
          >
            {{ t('behavior.funnel.add') }}
          </button>
          <mat-form-field subscriptSizing="dynamic">
            <mat-label>{{ t('behavior.funnel.window') }}</mat-label>
            <mat-select
              [value]="window()"
              (selectionChange)="url.patch({ window: $event.value })"
              data-testid="funnel-window"
            >
              @for (w of windows; track w) {
                <mat-option [value]="w">{{ t('behavior.funnel.windows.' + w) }}</mat-option>
              }
            </mat-select>
          </mat-form-field>
        </div>
      </fieldset>

      @if (!ready()) {
        <p class="muted" role="status">{{ t('behavior.funnel.pick') }}</p>
      } @else {
        <app-page-state [loading]="funnel.loading()" [error]="funnel.error()" (retry)="funnel.reload()" />
        @if (funnel.value(); as f) {
          <table class="data-table" data-testid="funnel-table">
            <caption>
              {{
                t('behavior.funnel.caption', {
                  window: formatDuration(f.window_ms),
                  from: resolved().range.from,
                  to: resolved().range.to,
                })
              }}
            </caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">{{ t('behavior.funnel.event') }}</th>
                <th scope="col" class="num">{{ t('behavior.funnel.users') }}</th>
                <th scope="col" class="num">{{ t('behavior.funnel.fromPrevious') }}</th>
                <th scope="col" class="num">{{ t('behavior.funnel.fromStart') }}</th>
                <th scope="col" class="num">{{ t('behavior.funnel.dropOff') }}</th>
                <th scope="col" class="num">{{ t('behavior.funnel.medianTime') }}</th>
                <th scope="col">
                  <span class="visually-hidden">{{ t('behavior.funnel.bar') }}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              @for (s of f.steps; track s.step) {
                <tr [attr.data-step]="s.step">
                  <td class="num">{{ s.step }}</td>
                  <th scope="row" class="mono">{{ s.event }}</th>
                  <td class="num" data-col="users" [attr.data-value]="s.users">{{ count(s.users) }}</td>
                  <td class="num" data-col="from-previous" [attr.data-value]="s.conversion_from_previous">
                    {{ pct(s.conversion_from_previous) }}
                  </td>
                  <td class="num" data-col="from-start" [attr.data-value]="s.conversion_from_start">
                    {{ pct(s.conversion_from_start) }}
                  </td>
                  <td class="num" data-col="drop-off" [attr.data-value]="s.drop_off">{{ count(s.drop_off) }}</td>
                  <td class="num">{{ formatDuration(s.median_time_from_previous_ms) }}</td>
                  <td class="bar-cell" aria-hidden="true">
                    <span class="bar" [style.width.%]="s.conversion_from_start * 100"></span>
                  </td>
                </tr>
              }
            </tbody>
          </table>
          <p class="muted">{{ t('behavior.funnel.scanned', { n: count(f.events_scanned) }) }}</p>
        }
      }
    </section>
  `,
  styles: [
    TABLE_STYLES,
    `
      h2 {
        font: var(--mat-sys-title-medium);
      }
      .builder {
        border: 1px solid var(--mat-sys-outline-variant);
        border-radius: 12px;
        padding: 8px 16px 16px;
        margin: 16px 0;
      }
      .builder ol {
        padding-inline-start: 20px;
        margin: 8px 0;
      }
      .builder li {
        margin-bottom: 8px;
      }
      .bar-cell {
        width: 30%;
      }
      .bar {
        display: block;
        height: 14px;
        background: var(--mat-sys-primary);
        border-radius: 4px;
        min-width: 2px;
      }
    `,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class FunnelPage {
  private readonly api = inject(BehaviorApi);
  private readonly session = inject(SessionService);
  private readonly lang = inject(LanguageService);
  readonly windows = FUNNEL_WINDOWS;
  readonly maxSteps = MAX_STEPS;
  readonly formatDuration = formatDuration;

  readonly url = urlState({ from: '', to: '', steps: ',', window: '7d' });
  readonly resolved = rangeOf(this.url.state);
  /** The builder's steps (an unchosen step is ''), at least two slots. */
  readonly steps = computed(() => {
    const s = decodeSteps(this.url.state().steps).slice(0, MAX_STEPS);
    while (s.length < 2) s.push('');
    return s;
  });
  readonly window = computed(() =>
    (FUNNEL_WINDOWS as readonly string[]).includes(this.url.state().window) ? this.url.state().window : '7d',
  );
  readonly ready = computed(() => this.steps().every(Boolean));

  private readonly rangeQuery = computed(() => {
    const tenantId = this.session.tenantId();
    return tenantId ? { tenantId, ...this.resolved().range } : null;
  });
  readonly known = computed(() => [
    ...new Set([
      ...(this.top.value()?.data ?? []).map((d) => d.event ?? '').filter(Boolean),
      ...this.steps().filter(Boolean),
    ]),
  ]);

  private readonly query = computed(() => {
    const r = this.rangeQuery();
    return r && this.ready() ? { ...r, steps: this.steps(), window: this.window() } : null;
  });
  readonly funnel = dataResource(this.query, (q) => this.api.funnel(q.tenantId, q));
  private readonly top = dataResource(afterFigures(this.rangeQuery, this.query, this.funnel), (q) =>
    this.api.topEvents(q.tenantId, q),
  );

  setStep(i: number, event: string): void {
    const s = [...this.steps()];
    s[i] = event;
    void this.url.patch({ steps: encodeSteps(s) });
  }

  addStep(): void {
    if (this.steps().length < MAX_STEPS) void this.url.patch({ steps: encodeSteps([...this.steps(), '']) });
  }

  removeStep(i: number): void {
    void this.url.patch({ steps: encodeSteps(this.steps().filter((_, k) => k !== i)) });
  }

  count(n: number): string {
    return n.toLocaleString(this.lang.current());
  }

  pct(rate: number): string {
    return percent(rate, this.lang.current());
  }
}
