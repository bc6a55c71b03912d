import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { NonNullableFormBuilder, ReactiveFormsModule, type AbstractControl } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError } from '../../core/api/problem';
import { ConfirmService } from '../../shared/confirm-dialog/confirm.service';
import { applyProblem } from '../../shared/form-errors/apply-problem';
import { PageState } from '../../shared/page-state/page-state';
import { StackedTable } from '../../shared/stacked-table/stacked-table';
import { dataResource } from '../usage/data-resource';
import { OpsTabs } from './ops-tabs';
import {
  ACTIONS,
  SIGNALS,
  actionFields,
  emptyRuleForm,
  formToRule,
  formatSeconds,
  ruleToForm,
  type OpsRule,
  type RuleFormValue,
} from './rule-form';

/**
 * `/ops/rules` (platform admins): every automation rule — from config (read-only, its source shown)
 * and from the API (created, edited and deleted here). The form checks what the server checks, and
 * what only the server knows (an unknown deployment, a taken name) lands next to its field.
 */
@Component({
  selector: 'app-ops-rules',
  imports: [
    ReactiveFormsModule,
    MatButtonModule,
    MatCheckboxModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatTableModule,
    TranslocoDirective,
    PageState,
    StackedTable,
    OpsTabs,
  ],
  templateUrl: './ops-rules.html',
  styles: `
    .edit {
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 12px;
      padding: 16px;
      margin-top: 24px;
      max-width: 880px;
    }
    fieldset {
      border: 0;
      padding: 0;
      margin: 0 0 8px;
      display: flex;
      flex-wrap: wrap;
      gap: 0 16px;
    }
    legend {
      font: var(--mat-sys-title-small);
      margin-bottom: 8px;
    }
    mat-form-field {
      min-width: 200px;
    }
    .checks {
      display: flex;
      flex-wrap: wrap;
      gap: 16px;
      align-items: center;
    }
    .error {
      color: var(--mat-sys-error);
    }
    .form-actions {
      display: flex;
      gap: 8px;
      align-items: center;
      flex-wrap: wrap;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OpsRules {
  private readonly api = inject(ApiClient);
  private readonly confirm = inject(ConfirmService);
  private readonly snack = inject(MatSnackBar);
  private readonly i18n = inject(TranslocoService);
  readonly signals = SIGNALS;
  readonly actions = ACTIONS;
  readonly seconds = formatSeconds;

  readonly rules = dataResource(signal(true), () => this.api.call(this.api.client.GET('/admin/v1/ops/rules')));
  readonly columns = ['name', 'condition', 'action', 'cooldown', 'mode', 'source', 'enabled', 'actions'];

  /** null: the form is closed; '': a new rule; a name: that rule is being edited. */
  readonly editing = signal<string | null>(null);
  readonly saving = signal(false);
  readonly formError = signal<string | null>(null);

  private readonly fb = inject(NonNullableFormBuilder);
  readonly form = this.fb.group({
    name: [''],
    description: [''],
    enabled: [true],
    dryRun: [false],
    cooldownSeconds: ['300'],
    when: this.fb.group({
      signal: ['error_ratio' as RuleFormValue['when']['signal']],
      subject: [''],
      above: [''],
      windowSeconds: ['60'],
      minSamples: ['20'],
    }),
    action: this.fb.group({
      type: ['drain' as RuleFormValue['action']['type']],
      target: [''],
      alias: [''],
      weight: [''],
      state: ['' as RuleFormValue['action']['state']],
      on: [true],
      webhook: [''],
      probe: [true],
    }),
  });
  private readonly actionType = toSignal(this.form.controls.action.controls.type.valueChanges, {
    initialValue: this.form.controls.action.controls.type.value,
  });
  readonly shown = computed(() => actionFields(this.actionType()));

  /** A control's error as text: the server's message, or the client check's. */
  errorOf(control: AbstractControl): string {
    const e = control.errors;
    return e?.['server'] ?? e?.['client'] ?? '';
  }

  startNew(): void {
    this.open('', emptyRuleForm());
  }

  edit(rule: OpsRule): void {
    if (rule.source !== 'api') return;
    this.open(rule.name, ruleToForm(rule));
  }

  private open(name: string, value: RuleFormValue): void {
    this.formError.set(null);
    this.form.reset(value);
    if (name) this.form.controls.name.disable();
    else this.form.controls.name.enable();
    this.editing.set(name);
    // After the form renders: focus its heading so keyboard and screen-reader users land on it.
    setTimeout(() => document.getElementById('ops-rule-form-title')?.focus());
  }

  cancel(): void {
    this.editing.set(null);
    this.formError.set(null);
  }

  async save(): Promise<void> {
    const editing = this.editing();
    if (editing === null) return;
    this.formError.set(null);
    const parsed = formToRule(this.form.getRawValue());
    if ('invalid' in parsed) {
      for (const issue of parsed.invalid) {
        const control = this.form.get(issue.path.split('.'));
        if (!control) continue;
        control.setErrors({ client: this.i18n.translate(`ops.form.invalid.${issue.key}`, issue.params ?? {}) });
        control.markAsTouched();
      }
      this.formError.set(this.i18n.translate('ops.form.fixFields'));
      return;
    }
    this.saving.set(true);
    try {
      const body = parsed.body;
      if (editing)
        await this.api.call(
          this.api.client.PUT('/admin/v1/ops/rules/{name}', { params: { path: { name: editing } }, body }),
        );
      else await this.api.call(this.api.client.POST('/admin/v1/ops/rules', { body }));
      this.snack.open(this.i18n.translate('ops.rules.saved', { name: body.name }), undefined, {
        duration: 4000,
        politeness: 'polite',
      });
      this.editing.set(null);
      await this.rules.reload();
    } catch (err) {
      this.formError.set(applyProblem(this.form, err, {}, { rule_exists: 'name' }));
    } finally {
      this.saving.set(false);
    }
  }

  async remove(rule: OpsRule): Promise<void> {
    if (rule.source !== 'api') return;
    const ok = await this.confirm.ask({
      title: this.i18n.translate('ops.rules.deleteTitle', { name: rule.name }),
      message: this.i18n.translate('ops.rules.deleteText'),
      confirmLabel: this.i18n.translate('ops.rules.delete'),
      destructive: true,
    });
    if (!ok) return;
    try {
      await this.api.call(
        this.api.client.DELETE('/admin/v1/ops/rules/{name}', { params: { path: { name: rule.name } } }),
      );
      if (this.editing() === rule.name) this.cancel();
      await this.rules.reload();
    } catch (err) {
      this.snack.open(err instanceof ApiError ? err.message : String(err), undefined, {
        duration: 6000,
        politeness: 'assertive',
      });
    }
  }
}
