import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError } from '../../core/api/problem';
import { LanguageService } from '../../core/i18n/language.service';
import { SessionService } from '../../core/session/session.service';
import { ConfirmService } from '../../shared/confirm-dialog/confirm.service';
import { applyProblem } from '../../shared/form-errors/apply-problem';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { dataResource } from '../usage/data-resource';
import { LIMIT_FIELDS, effectiveLimit, toLimitBody, type LimitField, type LimitValues } from './limit-values';
import { planProblemOnFields } from './plan-problem';
import { SubjectOptions } from './subject-options';

type Scope = 'tenant' | 'team' | 'key' | 'user';
const SCOPES: Scope[] = ['tenant', 'team', 'key', 'user'];

/** One row of the screen: a policy (or the tenant / a configured model without one) and its use now. */
export interface LimitRow {
  scope: Scope | 'model';
  subjectId: string;
  limits: LimitValues;
  used: { requests: number; tokens: number; concurrent: number } | null;
  stored: boolean;
}

/**
 * `/limits`: the tenant's plan and its bounds, every limit policy (tenant, teams, keys, users) with
 * what it has used in the current window, and a form to set one — values above the plan's bound are
 * refused by the server (400 exceeds_plan), shown next to the field. The edited subject is in the URL.
 */
@Component({
  selector: 'app-limits-page',
  imports: [
    ReactiveFormsModule,
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatTableModule,
    TranslocoDirective,
    PageState,
  ],
  providers: [SubjectOptions],
  templateUrl: './limits-page.html',
  styles: `
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
    .edit {
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 12px;
      padding: 16px;
      max-width: 560px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LimitsPage {
  private readonly api = inject(ApiClient);
  private readonly session = inject(SessionService);
  private readonly confirm = inject(ConfirmService);
  private readonly snack = inject(MatSnackBar);
  private readonly i18n = inject(TranslocoService);
  private readonly lang = inject(LanguageService);
  readonly options = inject(SubjectOptions);
  readonly fields = LIMIT_FIELDS;
  readonly scopes = SCOPES;

  readonly url = urlState({ scope: 'tenant', subject: '' });
  private readonly tenant = computed(() => this.session.tenantId());
  readonly overview = dataResource(this.tenant, (tenantId) =>
    this.api.call(this.api.client.GET('/admin/v1/tenants/{tenantId}/limits', { params: { path: { tenantId } } })),
  );
  readonly usage = dataResource(this.tenant, (tenantId) =>
    this.api.call(this.api.client.GET('/admin/v1/tenants/{tenantId}/limits/usage', { params: { path: { tenantId } } })),
  );
  readonly canWrite = computed(() => this.session.superadmin() || this.session.permissions().has('limits:write'));

  readonly rows = computed<LimitRow[]>(() => {
    const o = this.overview.value();
    if (!o) return [];
    const used = new Map((this.usage.value()?.counters ?? []).map((c) => [`${c.scope}:${c.subjectId}`, c]));
    const rows: LimitRow[] = o.policies.map((p) => ({
      scope: p.scope,
      subjectId: p.subjectId,
      limits: p.limits,
      used: used.get(`${p.scope}:${p.subjectId}`) ?? null,
      stored: true,
    }));
    if (!rows.some((r) => r.scope === 'tenant'))
      rows.unshift({
        scope: 'tenant',
        subjectId: o.tenantId,
        limits: {},
        used: used.get(`tenant:${o.tenantId}`) ?? null,
        stored: false,
      });
    for (const c of this.usage.value()?.counters ?? [])
      if (c.scope === 'model')
        rows.push({ scope: 'model', subjectId: c.subjectId, limits: {}, used: c, stored: false });
    return rows;
  });
  readonly columns = ['scope', 'subject', 'requestsPerMinute', 'tokensPerMinute', 'concurrentRequests', 'actions'];

  readonly saving = signal(false);
  readonly formError = signal<string | null>(null);
  readonly form = inject(NonNullableFormBuilder).group({
    scope: ['tenant' as Scope],
    subject: [''],
    requestsPerMinute: [''],
    tokensPerMinute: [''],
    concurrentRequests: [''],
  });

  constructor() {
    const tenantId = this.session.tenantId();
    if (tenantId) void this.options.load(tenantId);
    const s = this.url.state();
    if ((SCOPES as string[]).includes(s.scope)) this.form.patchValue({ scope: s.scope as Scope, subject: s.subject });
  }

  count(n: number | null | undefined): string {
    return n === null || n === undefined ? '—' : n.toLocaleString(this.lang.current());
  }

  seconds(ms: number): number {
    return Math.ceil(ms / 1000);
  }

  /** The used value of a row for one dimension. */
  used(row: LimitRow, f: LimitField): number | null {
    if (!row.used) return null;
    return f === 'requestsPerMinute'
      ? row.used.requests
      : f === 'tokensPerMinute'
        ? row.used.tokens
        : row.used.concurrent;
  }

  /** The limit that applies to a row in one dimension (the tenant row falls back to the plan's bound). */
  limitOf(row: LimitRow, f: LimitField, planBounds: LimitValues): ReturnType<typeof effectiveLimit> {
    return effectiveLimit(row.scope, row.limits, planBounds, f);
  }

  subjectLabel(row: LimitRow): string {
    return row.scope === 'tenant'
      ? this.i18n.translate('limits.thisTenant')
      : this.options.labelOf(row.scope, row.subjectId);
  }

  /** Loads a row into the form (and its subject into the URL). */
  edit(row: LimitRow): void {
    if (row.scope === 'model') return;
    this.formError.set(null);
    this.form.reset({
      scope: row.scope,
      subject: row.scope === 'tenant' ? '' : row.subjectId,
      ...this.asText(row.limits),
    });
    void this.url.patch({ scope: row.scope, subject: row.scope === 'tenant' ? '' : row.subjectId });
    document.getElementById('limits-edit')?.focus();
  }

  async save(): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    const v = this.form.getRawValue();
    this.formError.set(null);
    if (v.scope !== 'tenant' && !v.subject.trim()) {
      this.form.controls.subject.setErrors({ server: this.i18n.translate('limits.subjectRequired') });
      this.form.controls.subject.markAsTouched();
      return;
    }
    const parsed = toLimitBody(v);
    if ('invalid' in parsed) {
      for (const f of parsed.invalid) {
        this.form.controls[f].setErrors({ server: this.i18n.translate('limits.invalidNumber') });
        this.form.controls[f].markAsTouched();
      }
      return;
    }
    this.saving.set(true);
    try {
      await this.put(tenantId, v.scope, v.subject.trim(), parsed.body);
      void this.url.patch({ scope: v.scope, subject: v.scope === 'tenant' ? '' : v.subject.trim() });
      this.snack.open(this.i18n.translate('limits.saved'), undefined, { duration: 4000, politeness: 'polite' });
      await Promise.all([this.overview.reload(), this.usage.reload()]);
    } catch (err) {
      // exceeds_plan names the field (param requestsPerMinute …); not_found codes concern the subject.
      this.formError.set(
        applyProblem(
          this.form,
          planProblemOnFields(err),
          {},
          { team_not_found: 'subject', key_not_found: 'subject', member_not_found: 'subject' },
        ),
      );
    } finally {
      this.saving.set(false);
    }
  }

  async remove(row: LimitRow): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId || row.scope === 'model' || !row.stored) return;
    const ok = await this.confirm.ask({
      title: this.i18n.translate('limits.removeTitle', { subject: this.subjectLabel(row) }),
      message: this.i18n.translate('limits.removeText'),
      confirmLabel: this.i18n.translate('limits.remove'),
      destructive: true,
    });
    if (!ok) return;
    try {
      await this.del(tenantId, row.scope, row.subjectId);
      await Promise.all([this.overview.reload(), this.usage.reload()]);
    } catch (err) {
      this.snack.open(err instanceof ApiError ? err.message : String(err), undefined, {
        duration: 6000,
        politeness: 'assertive',
      });
    }
  }

  private asText(limits: LimitValues): Record<LimitField, string> {
    return {
      requestsPerMinute: String(limits.requestsPerMinute ?? ''),
      tokensPerMinute: String(limits.tokensPerMinute ?? ''),
      concurrentRequests: String(limits.concurrentRequests ?? ''),
    };
  }

  private put(tenantId: string, scope: Scope, subjectId: string, body: Record<LimitField, number | null>) {
    const c = this.api.client;
    switch (scope) {
      case 'tenant':
        return this.api.call(c.PUT('/admin/v1/tenants/{tenantId}/limits', { params: { path: { tenantId } }, body }));
      case 'team':
        return this.api.call(
          c.PUT('/admin/v1/tenants/{tenantId}/teams/{subjectId}/limits', {
            params: { path: { tenantId, subjectId } },
            body,
          }),
        );
      case 'key':
        return this.api.call(
          c.PUT('/admin/v1/tenants/{tenantId}/keys/{subjectId}/limits', {
            params: { path: { tenantId, subjectId } },
            body,
          }),
        );
      case 'user':
        return this.api.call(
          c.PUT('/admin/v1/tenants/{tenantId}/users/{subjectId}/limits', {
            params: { path: { tenantId, subjectId } },
            body,
          }),
        );
    }
  }

  private del(tenantId: string, scope: Scope, subjectId: string) {
    const c = this.api.client;
    switch (scope) {
      case 'tenant':
        return this.api.call(c.DELETE('/admin/v1/tenants/{tenantId}/limits', { params: { path: { tenantId } } }));
      case 'team':
        return this.api.call(
          c.DELETE('/admin/v1/tenants/{tenantId}/teams/{subjectId}/limits', {
            params: { path: { tenantId, subjectId } },
          }),
        );
      case 'key':
        return this.api.call(
          c.DELETE('/admin/v1/tenants/{tenantId}/keys/{subjectId}/limits', {
            params: { path: { tenantId, subjectId } },
          }),
        );
      case 'user':
        return this.api.call(
          c.DELETE('/admin/v1/tenants/{tenantId}/users/{subjectId}/limits', {
            params: { path: { tenantId, subjectId } },
          }),
        );
    }
  }
}
