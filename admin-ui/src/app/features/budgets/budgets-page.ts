import { ChangeDetectionStrategy, Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError } from '../../core/api/problem';
import { LanguageService } from '../../core/i18n/language.service';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { SessionService } from '../../core/session/session.service';
import { ConfirmService } from '../../shared/confirm-dialog/confirm.service';
import { applyProblem } from '../../shared/form-errors/apply-problem';
import { CursorPaginator } from '../../shared/list-page/cursor-paginator';
import { cursorPaging } from '../../shared/list-page/cursor-paging';
import { listResource } from '../../shared/list-page/list-resource';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { planProblemOnFields } from '../limits/plan-problem';
import { SubjectOptions } from '../limits/subject-options';
import { dataResource } from '../usage/data-resource';
import { formatMicros } from '../usage/money';
import { BUDGET_FIELDS, budgetToText, spentShare, textToBudget } from './budget-form';

type Level = 'tenant' | 'team' | 'key';
const LEVELS: Level[] = ['tenant', 'team', 'key'];

/**
 * `/budgets`: the budget of the tenant, a team or an API key (level and target in the URL) — where
 * it comes from, today's and this month's spend against the soft and hard limits, a form to set the
 * override (dollars in, exact micro-dollars sent; over-plan values refused next to the field) and
 * to remove it — and the tenant's alert history with each alert's webhook delivery state.
 */
@Component({
  selector: 'app-budgets-page',
  imports: [
    ReactiveFormsModule,
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    MatSelectModule,
    MatTableModule,
    TranslocoDirective,
    LocalDatePipe,
    PageState,
    CursorPaginator,
  ],
  providers: [SubjectOptions],
  templateUrl: './budgets-page.html',
  styles: `
    .periods {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(280px, 1fr));
      gap: 16px;
      margin: 16px 0;
    }
    .card {
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 12px;
      padding: 12px 16px;
    }
    .card h3 {
      font: var(--mat-sys-title-small);
      margin: 0 0 8px;
    }
    .num {
      text-align: end;
      font-variant-numeric: tabular-nums;
    }
    section.block {
      margin-top: 24px;
    }
    h2 {
      font: var(--mat-sys-title-medium);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class BudgetsPage {
  private readonly api = inject(ApiClient);
  private readonly session = inject(SessionService);
  private readonly confirm = inject(ConfirmService);
  private readonly snack = inject(MatSnackBar);
  private readonly i18n = inject(TranslocoService);
  private readonly lang = inject(LanguageService);
  readonly options = inject(SubjectOptions);
  readonly levels = LEVELS;
  readonly fields = BUDGET_FIELDS;
  readonly periods = ['daily', 'monthly'] as const;

  readonly url = urlState({ level: 'tenant', target: '', cursor: '', limit: 25 });
  readonly level = computed<Level>(() =>
    (LEVELS as string[]).includes(this.url.state().level) ? (this.url.state().level as Level) : 'tenant',
  );
  private readonly budgetQuery = computed(() => {
    const tenantId = this.session.tenantId();
    const level = this.level();
    const target = this.url.state().target;
    if (!tenantId || (level !== 'tenant' && !target)) return null;
    return { tenantId, level, target };
  });
  readonly budget = dataResource(this.budgetQuery, (q) => {
    const c = this.api.client;
    if (q.level === 'team')
      return this.api.call(
        c.GET('/admin/v1/tenants/{tenantId}/teams/{teamId}/budgets', {
          params: { path: { tenantId: q.tenantId, teamId: q.target } },
        }),
      );
    if (q.level === 'key')
      return this.api.call(
        c.GET('/admin/v1/tenants/{tenantId}/api-keys/{keyId}/budgets', {
          params: { path: { tenantId: q.tenantId, keyId: q.target } },
        }),
      );
    return this.api.call(c.GET('/admin/v1/tenants/{tenantId}/budgets', { params: { path: { tenantId: q.tenantId } } }));
  });

  private readonly alertQuery = computed(() => {
    const tenantId = this.session.tenantId();
    return tenantId ? { tenantId, cursor: this.url.state().cursor, limit: this.url.state().limit } : null;
  });
  readonly alerts = listResource(this.alertQuery, (q) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/budget-alerts', {
        params: { path: { tenantId: q.tenantId }, query: { cursor: q.cursor || undefined, limit: q.limit } },
      }),
    ),
  );
  /** Whether a webhook is configured: from the first alert page (the URL itself is never shown). */
  readonly webhook = signal<boolean | null>(null);
  readonly alertColumns = ['created_at', 'kind', 'level', 'target_id', 'period', 'limit', 'spent', 'webhook_state'];

  readonly canWrite = computed(() => this.session.superadmin() || this.session.permissions().has('budgets:write'));
  readonly saving = signal(false);
  readonly formError = signal<string | null>(null);
  readonly form = inject(NonNullableFormBuilder).group({
    daily_hard_micros: [''],
    daily_soft_micros: [''],
    monthly_hard_micros: [''],
    monthly_soft_micros: [''],
  });

  constructor() {
    // The form shows the current override (what a save replaces) whenever another budget loads.
    effect(() => {
      const b = this.budget.value();
      untracked(() => this.form.reset(budgetToText(b?.override)));
    });
    const tenantId = this.session.tenantId();
    if (tenantId) {
      void this.options.load(tenantId);
      // One small extra read for the webhook flag, independent of the alert page shown.
      void this.api
        .call(
          this.api.client.GET('/admin/v1/tenants/{tenantId}/budget-alerts', {
            params: { path: { tenantId }, query: { limit: 1 } },
          }),
        )
        .then((r) => this.webhook.set(r.webhook.configured))
        .catch(() => this.webhook.set(null));
    }
  }
  readonly paging = cursorPaging(this.url, this.alerts);

  money(micros: number | null | undefined): string {
    return formatMicros(micros, this.lang.current());
  }

  share(spent: number, limit: number | null): number | null {
    return spentShare(spent, limit);
  }

  pickLevel(level: string): void {
    this.formError.set(null);
    void this.url.patch({ level, target: '' });
  }

  pickTarget(target: string): void {
    this.formError.set(null);
    void this.url.patch({ target });
  }

  async save(): Promise<void> {
    const q = this.budgetQuery();
    if (!q) return;
    this.formError.set(null);
    const parsed = textToBudget(this.form.getRawValue());
    if ('invalid' in parsed) {
      for (const i of parsed.invalid) {
        this.form.controls[i.field].setErrors({
          server: this.i18n.translate(i.reason === 'amount' ? 'budgets.invalidAmount' : 'budgets.softAboveHard'),
        });
        this.form.controls[i.field].markAsTouched();
      }
      return;
    }
    this.saving.set(true);
    try {
      const c = this.api.client;
      const body = parsed.body;
      if (q.level === 'team')
        await this.api.call(
          c.PUT('/admin/v1/tenants/{tenantId}/teams/{teamId}/budgets', {
            params: { path: { tenantId: q.tenantId, teamId: q.target } },
            body,
          }),
        );
      else if (q.level === 'key')
        await this.api.call(
          c.PUT('/admin/v1/tenants/{tenantId}/api-keys/{keyId}/budgets', {
            params: { path: { tenantId: q.tenantId, keyId: q.target } },
            body,
          }),
        );
      else
        await this.api.call(
          c.PUT('/admin/v1/tenants/{tenantId}/budgets', { params: { path: { tenantId: q.tenantId } }, body }),
        );
      this.snack.open(this.i18n.translate('budgets.saved'), undefined, { duration: 4000, politeness: 'polite' });
      await this.budget.reload();
    } catch (err) {
      // exceeds_plan and validation errors name the field (daily_hard_micros …): shown under it.
      this.formError.set(applyProblem(this.form, planProblemOnFields(err)));
    } finally {
      this.saving.set(false);
    }
  }

  async removeOverride(): Promise<void> {
    const q = this.budgetQuery();
    if (!q) return;
    const ok = await this.confirm.ask({
      title: this.i18n.translate('budgets.removeTitle'),
      message: this.i18n.translate('budgets.removeText'),
      confirmLabel: this.i18n.translate('budgets.remove'),
      destructive: true,
    });
    if (!ok) return;
    try {
      const c = this.api.client;
      if (q.level === 'team')
        await this.api.call(
          c.DELETE('/admin/v1/tenants/{tenantId}/teams/{teamId}/budgets', {
            params: { path: { tenantId: q.tenantId, teamId: q.target } },
          }),
        );
      else if (q.level === 'key')
        await this.api.call(
          c.DELETE('/admin/v1/tenants/{tenantId}/api-keys/{keyId}/budgets', {
            params: { path: { tenantId: q.tenantId, keyId: q.target } },
          }),
        );
      else
        await this.api.call(
          c.DELETE('/admin/v1/tenants/{tenantId}/budgets', { params: { path: { tenantId: q.tenantId } } }),
        );
      this.form.reset();
      await this.budget.reload();
    } catch (err) {
      this.formError.set(err instanceof ApiError ? err.message : String(err));
    }
  }
}
