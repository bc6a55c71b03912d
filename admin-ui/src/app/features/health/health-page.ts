import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError, toProblem } from '../../core/api/problem';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { PageState } from '../../shared/page-state/page-state';
import { dataResource } from '../usage/data-resource';
import { isHealthDetails, sortChecks, type HealthDetails } from './health-details';

/**
 * `/health` (platform admins): every health check of the instance that answered, with its latency
 * and last error (`/health/details`, which must allow admins: `plugins[health].config.details.access:
 * admin`), the installed plugins with versions, and each phase's hooks in run order
 * (`GET /admin/v1/plugins`, as `aihub plugins list` shows them).
 */
@Component({
  selector: 'app-health-page',
  imports: [MatButtonModule, TranslocoDirective, PageState, LocalDatePipe],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="health-title">
      <div class="page-header">
        <h1 id="health-title">{{ t('health.title') }}</h1>
        <button mat-stroked-button type="button" (click)="refresh()" data-testid="health-refresh">
          {{ t('health.refresh') }}
        </button>
      </div>

      <section class="block" aria-labelledby="health-checks">
        <h2 id="health-checks">{{ t('health.checks') }}</h2>
        <p class="muted">{{ t('health.instanceNote') }}</p>
        <app-page-state
          [loading]="health.loading()"
          [error]="health.error()"
          [empty]="!health.loading() && !health.error() && (health.value()?.checks?.length ?? 0) === 0"
          (retry)="health.reload()"
        />
        @if (health.value(); as h) {
          <p data-testid="health-status" [attr.data-value]="h.status" role="status">
            {{ t('health.status.' + h.status) }}
          </p>
          <table class="simple" data-testid="health-checks">
            <caption class="visually-hidden">
              {{
                t('health.checks')
              }}
            </caption>
            <thead>
              <tr>
                <th scope="col">{{ t('health.check') }}</th>
                <th scope="col">{{ t('health.kind') }}</th>
                <th scope="col">{{ t('health.state') }}</th>
                <th scope="col" class="num">{{ t('health.latency') }}</th>
                <th scope="col">{{ t('health.lastError') }}</th>
              </tr>
            </thead>
            <tbody>
              @for (c of sorted(h); track c.plugin + ':' + c.name) {
                <tr [attr.data-check]="c.plugin + ':' + c.name">
                  <td class="mono">{{ c.plugin }}:{{ c.name }}</td>
                  <td>{{ t('health.kinds.' + c.kind) }}</td>
                  <td [class.bad]="!c.ok">
                    {{ c.ok ? t('health.ok') : t('health.failing') }}
                    @if (c.error) {
                      — {{ c.error }}
                    }
                  </td>
                  <td class="num">{{ c.latencyMs }} ms</td>
                  <td>
                    @if (c.lastError; as e) {
                      {{ e.at | localDate }}: {{ e.message }}
                    } @else {
                      —
                    }
                  </td>
                </tr>
              }
            </tbody>
          </table>
        }
      </section>

      <section class="block" aria-labelledby="health-plugins">
        <h2 id="health-plugins">{{ t('health.plugins') }}</h2>
        <app-page-state [loading]="plugins.loading()" [error]="plugins.error()" (retry)="plugins.reload()" />
        @if (plugins.value(); as p) {
          <p class="muted">{{ t('health.coreVersion', { version: p.core_version }) }}</p>
          <table class="simple" data-testid="health-plugin-list">
            <caption class="visually-hidden">
              {{
                t('health.plugins')
              }}
            </caption>
            <thead>
              <tr>
                <th scope="col">{{ t('health.plugin') }}</th>
                <th scope="col">{{ t('health.version') }}</th>
                <th scope="col">{{ t('health.dependsOn') }}</th>
                <th scope="col">{{ t('health.description') }}</th>
              </tr>
            </thead>
            <tbody>
              @for (pl of p.plugins; track pl.name) {
                <tr [attr.data-plugin]="pl.name">
                  <td class="mono">{{ pl.name }}</td>
                  <td class="mono">{{ pl.version }}</td>
                  <td>{{ deps(pl) || '—' }}</td>
                  <td>{{ pl.description }}</td>
                </tr>
              }
            </tbody>
          </table>

          <h2 id="health-pipeline">{{ t('health.pipeline') }}</h2>
          <p class="muted">{{ t('health.pipelineNote') }}</p>
          <dl class="pipeline" data-testid="health-pipeline" aria-labelledby="health-pipeline">
            @for (phase of p.pipeline; track phase.phase) {
              <div [attr.data-phase]="phase.phase">
                <dt class="mono">{{ phase.phase }}</dt>
                <dd>
                  @if (phase.hooks.length) {
                    <ol>
                      @for (hook of phase.hooks; track hook.id) {
                        <li class="mono">{{ hook.id }}</li>
                      }
                    </ol>
                  } @else {
                    <span class="muted">{{ t('health.noHooks') }}</span>
                  }
                </dd>
              </div>
            }
          </dl>
        }
      </section>
    </section>
  `,
  styles: `
    table.simple {
      width: 100%;
      border-collapse: collapse;
      margin-bottom: 16px;
    }
    table.simple th,
    table.simple td {
      padding: 6px 8px;
      border-bottom: 1px solid var(--mat-sys-outline-variant);
      text-align: start;
      vertical-align: top;
    }
    .num {
      text-align: end !important;
      font-variant-numeric: tabular-nums;
    }
    .bad {
      color: var(--mat-sys-error);
      font-weight: 600;
    }
    section.block {
      margin-top: 24px;
    }
    h2 {
      font: var(--mat-sys-title-medium);
    }
    .pipeline > div {
      display: grid;
      grid-template-columns: 200px 1fr;
      gap: 8px;
      padding: 4px 0;
      border-bottom: 1px solid var(--mat-sys-outline-variant);
    }
    .pipeline dd {
      margin: 0;
    }
    .pipeline ol {
      margin: 0;
      padding-inline-start: 20px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class HealthPage {
  private readonly api = inject(ApiClient);
  private readonly tick = signal(0);

  readonly health = dataResource(this.tick, async (): Promise<HealthDetails> => {
    // Not an admin route: through the client's fetch (token + refresh) but typed by hand. A 503 still
    // carries the checks (that is when they matter), so it is shown, not turned into an error.
    let result: { data?: unknown; error?: unknown; response: Response };
    try {
      result = await (
        this.api.client.GET as unknown as (
          path: string,
        ) => Promise<{ data?: unknown; error?: unknown; response: Response }>
      )('/health/details');
    } catch {
      throw new ApiError(toProblem(0, undefined));
    }
    const body = result.response.ok ? result.data : result.error;
    if (isHealthDetails(body)) return body;
    throw new ApiError(toProblem(result.response.status, result.error));
  });
  readonly plugins = dataResource(this.tick, () => this.api.call(this.api.client.GET('/admin/v1/plugins')));

  sorted(h: HealthDetails) {
    return sortChecks(h.checks);
  }

  deps(p: { dependsOn: string[]; optionalDependsOn: string[] }): string {
    return [...p.dependsOn, ...p.optionalDependsOn.map((d) => `${d}?`)].join(', ');
  }

  refresh(): void {
    this.tick.update((n) => n + 1);
  }
}
