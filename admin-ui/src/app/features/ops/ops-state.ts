import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatSnackBar } from '@angular/material/snack-bar';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError, toProblem, type Problem } from '../../core/api/problem';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { ConfirmService } from '../../shared/confirm-dialog/confirm.service';
import { PageState } from '../../shared/page-state/page-state';
import { StackedTable } from '../../shared/stacked-table/stacked-table';
import { livePoll } from '../monitor/live-poll';
import { firstValueFrom } from 'rxjs';
import { DrainDialog, type DrainData } from './drain-dialog';
import { OpsTabs } from './ops-tabs';
import { controlView, weightRows, type OpsAlias, type OpsDeployment, type OpsState } from './ops-view';

const REFRESH_MS = 5000;

/**
 * `/ops/state` (platform admins): the routing control in effect on every instance now — drained
 * deployments (with why, since when, and whether the probe will restore them and how far it is),
 * breakers held open or closed, aliases switched to their fallbacks, and weights (overridden ones
 * marked, with the configured value) — each with its undo (restore, release, switch back, reset),
 * confirmed first; and every deployment with a drain by hand (a reason required). Refreshed every
 * few seconds while the tab is visible.
 */
@Component({
  selector: 'app-ops-state',
  imports: [MatButtonModule, TranslocoDirective, LocalDatePipe, PageState, StackedTable, OpsTabs],
  templateUrl: './ops-state.html',
  styles: `
    section.block {
      margin-top: 24px;
    }
    h2 {
      font: var(--mat-sys-title-medium);
    }
    table.simple {
      border-collapse: collapse;
      width: 100%;
    }
    table.simple th,
    table.simple td {
      text-align: start;
      padding: 8px;
      border-bottom: 1px solid var(--mat-sys-outline-variant);
      vertical-align: top;
    }
    .summary {
      display: flex;
      flex-wrap: wrap;
      gap: 8px 24px;
    }
    .reason {
      overflow-wrap: anywhere;
      max-width: 420px;
    }
    ul.weights {
      list-style: none;
      margin: 0;
      padding: 0;
    }
    .overridden {
      margin-inline-start: 8px;
      font-weight: 500;
    }
    progress {
      vertical-align: middle;
      width: 64px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OpsStatePage {
  private readonly api = inject(ApiClient);
  private readonly confirm = inject(ConfirmService);
  private readonly dialog = inject(MatDialog);
  private readonly snack = inject(MatSnackBar);
  private readonly i18n = inject(TranslocoService);

  readonly state = signal<OpsState | null>(null);
  readonly problem = signal<Problem | null>(null);
  readonly view = computed(() => {
    const s = this.state();
    return s ? controlView(s) : null;
  });
  readonly weightRows = weightRows;
  readonly refreshSeconds = REFRESH_MS / 1000;
  /** The control being changed (one at a time: its button is disabled meanwhile). */
  readonly busy = signal<string | null>(null);

  readonly poll = livePoll(
    () => this.load(),
    () => REFRESH_MS,
  );

  async load(): Promise<void> {
    try {
      this.state.set(await this.api.call(this.api.client.GET('/admin/v1/ops/state')));
      this.problem.set(null);
    } catch (err) {
      this.problem.set(err instanceof ApiError ? err.problem : toProblem(0, undefined));
    }
  }

  restore(d: OpsDeployment): Promise<void> {
    return this.act(`restore:${d.id}`, 'restore', { id: d.id }, () =>
      this.api.call(this.api.client.POST('/admin/v1/ops/deployments/{id}/restore', { params: { path: { id: d.id } } })),
    );
  }

  /** Asks why (required) in a dialog that is also the confirmation, then drains on every instance. */
  async drain(d: OpsDeployment): Promise<void> {
    const ref = this.dialog.open<DrainDialog, DrainData, string | undefined>(DrainDialog, {
      data: { id: d.id },
      width: '480px',
    });
    const reason = await firstValueFrom(ref.afterClosed());
    if (!reason) return;
    await this.run(`drain:${d.id}`, 'drain', { id: d.id }, () =>
      this.api.call(
        this.api.client.POST('/admin/v1/ops/deployments/{id}/drain', {
          params: { path: { id: d.id } },
          body: { reason },
        }),
      ),
    );
  }

  release(d: OpsDeployment): Promise<void> {
    return this.act(`breaker:${d.id}`, 'release', { id: d.id }, () =>
      this.api.call(
        this.api.client.POST('/admin/v1/ops/deployments/{id}/breaker', {
          params: { path: { id: d.id } },
          body: { state: 'auto' },
        }),
      ),
    );
  }

  switchBack(a: OpsAlias): Promise<void> {
    return this.act(`fallback:${a.alias}`, 'switchBack', { id: a.alias }, () =>
      this.api.call(
        this.api.client.POST('/admin/v1/ops/aliases/{alias}/fallback', {
          params: { path: { alias: a.alias } },
          body: { on: false },
        }),
      ),
    );
  }

  resetWeights(a: OpsAlias): Promise<void> {
    return this.act(`weights:${a.alias}`, 'resetWeights', { id: a.alias }, () =>
      this.api.call(
        this.api.client.POST('/admin/v1/ops/aliases/{alias}/weights/reset', { params: { path: { alias: a.alias } } }),
      ),
    );
  }

  /** Confirms, calls, reports, reloads. `kind` names the strings (`ops.state.<kind>Title` …). */
  private async act(
    busy: string,
    kind: 'restore' | 'release' | 'switchBack' | 'resetWeights',
    params: { id: string },
    call: () => Promise<unknown>,
  ): Promise<void> {
    const ok = await this.confirm.ask({
      title: this.i18n.translate(`ops.state.${kind}Title`, params),
      message: this.i18n.translate(`ops.state.${kind}Text`, params),
      confirmLabel: this.i18n.translate(`ops.state.${kind}`),
    });
    if (!ok) return;
    await this.run(busy, kind, params, call);
  }

  /** Calls, reports, reloads; `busy` disables the control's button meanwhile. */
  private async run(
    busy: string,
    kind: 'drain' | 'restore' | 'release' | 'switchBack' | 'resetWeights',
    params: { id: string },
    call: () => Promise<unknown>,
  ): Promise<void> {
    this.busy.set(busy);
    try {
      await call();
      this.snack.open(this.i18n.translate(`ops.state.${kind}Done`, params), undefined, {
        duration: 4000,
        politeness: 'polite',
      });
      await this.load();
    } catch (err) {
      this.snack.open(err instanceof ApiError ? err.message : String(err), undefined, {
        duration: 6000,
        politeness: 'assertive',
      });
    } finally {
      this.busy.set(null);
    }
  }
}
