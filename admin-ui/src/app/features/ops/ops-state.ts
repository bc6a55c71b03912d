import { NgTemplateOutlet } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatSnackBar } from '@angular/material/snack-bar';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError, toProblem, type Problem } from '../../core/api/problem';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { ConfirmService } from '../../shared/confirm-dialog/confirm.service';
import { PageState } from '../../shared/page-state/page-state';
import { ReasonDialogService } from '../../shared/reason-dialog/reason-dialog.service';
import { StackedTable } from '../../shared/stacked-table/stacked-table';
import { livePoll } from '../monitor/live-poll';
import { OpsTabs } from './ops-tabs';
import { controlView, weightRows, type OpsAlias, type OpsDeployment, type OpsState } from './ops-view';

const REFRESH_MS = 5000;

/**
 * One control table of the State tab (ops-state.html's `controlTable` template): its heading, column
 * headers (translation keys), the row's key and the one button each row has. Texts are `ops.state.*`
 * keys; the button's aria label is `ops.state.<action>Aria`.
 */
interface ControlTable<R> {
  id: string;
  title: string;
  hint?: string;
  empty: string;
  emptyTestId?: string;
  testId: string;
  columns: string[];
  keyAttr: 'deployment' | 'alias';
  key: (r: R) => string;
  action: string;
  label: string;
  /** `busy()` while this row's change runs: `<busy>:<key>`. */
  busy: string;
  buttonTestId: string | null;
  /** Rows without the button (a deployment drained already). */
  show?: (r: R) => boolean;
  run: (r: R) => void;
}
/** The most characters of a drain's reason the API keeps (the drain route's `reason`). */
const DRAIN_REASON_MAX = 500;

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
  imports: [MatButtonModule, NgTemplateOutlet, TranslocoDirective, LocalDatePipe, PageState, StackedTable, OpsTabs],
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
  private readonly reasons = inject(ReasonDialogService);
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

  readonly tables: {
    drained: ControlTable<OpsDeployment>;
    deployments: ControlTable<OpsDeployment>;
    forced: ControlTable<OpsDeployment>;
    switched: ControlTable<OpsAlias>;
    weights: ControlTable<OpsAlias>;
  } = {
    drained: {
      id: 'ops-drained',
      title: 'ops.state.drained',
      empty: 'ops.state.noneDrained',
      emptyTestId: 'ops-none-drained',
      testId: 'ops-drained-table',
      columns: ['ops.state.deployment', 'ops.events.reason', 'ops.state.since', 'ops.state.recovery'],
      keyAttr: 'deployment',
      key: (d) => d.id,
      action: 'restore',
      label: 'ops.state.restore',
      busy: 'restore',
      buttonTestId: 'ops-restore',
      run: (d) => void this.restore(d),
    },
    deployments: {
      id: 'ops-deployments',
      title: 'ops.state.deployments',
      hint: 'ops.state.deploymentsHint',
      empty: 'ops.state.noDeployments',
      testId: 'ops-deployments-table',
      columns: ['ops.state.deployment', 'ops.state.aliases', 'ops.state.routing'],
      keyAttr: 'deployment',
      key: (d) => d.id,
      action: 'drain',
      label: 'ops.state.drainAction',
      busy: 'drain',
      buttonTestId: 'ops-drain',
      show: (d) => !d.drained,
      run: (d) => void this.drain(d),
    },
    forced: {
      id: 'ops-forced',
      title: 'ops.state.forced',
      empty: 'ops.state.noneForced',
      testId: 'ops-forced-table',
      columns: ['ops.state.deployment', 'ops.state.heldAs', 'ops.state.breakerNow'],
      keyAttr: 'deployment',
      key: (d) => d.id,
      action: 'release',
      label: 'ops.state.release',
      busy: 'breaker',
      buttonTestId: 'ops-release',
      run: (d) => void this.release(d),
    },
    switched: {
      id: 'ops-switched',
      title: 'ops.state.switched',
      empty: 'ops.state.noneSwitched',
      testId: 'ops-switched-table',
      columns: ['ops.state.alias', 'ops.state.fallbacks'],
      keyAttr: 'alias',
      key: (a) => a.alias,
      action: 'switchBack',
      label: 'ops.state.switchBack',
      busy: 'fallback',
      buttonTestId: 'ops-switch-back',
      run: (a) => void this.switchBack(a),
    },
    weights: {
      id: 'ops-weights',
      title: 'ops.state.weights',
      hint: 'ops.state.weightsHint',
      empty: 'ops.state.noneWeighted',
      testId: 'ops-weights-table',
      columns: ['ops.state.alias', 'ops.state.effectiveWeights', 'ops.state.configuredWeights'],
      keyAttr: 'alias',
      key: (a) => a.alias,
      action: 'resetWeights',
      label: 'ops.state.resetWeights',
      busy: 'weights',
      buttonTestId: 'ops-reset-weights',
      run: (a) => void this.resetWeights(a),
    },
  };

  /** A control table row's identity (`@for` tracks it): a deployment's id or an alias' name. */
  rowKey(r: OpsDeployment | OpsAlias): string {
    return 'id' in r ? r.id : r.alias;
  }

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
    const reason = await this.reasons.ask({
      title: this.i18n.translate('ops.state.drainTitle', { id: d.id }),
      message: this.i18n.translate('ops.state.drainText', { id: d.id }),
      reasonLabel: this.i18n.translate('ops.state.drainReason'),
      reasonHint: this.i18n.translate('ops.state.drainReasonHint'),
      confirmLabel: this.i18n.translate('ops.state.drain'),
      required: true,
      max: DRAIN_REASON_MAX,
    });
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
