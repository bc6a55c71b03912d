import { ChangeDetectionStrategy, Component, effect, inject, output, signal, untracked } from '@angular/core';
import { DatePipe, JsonPipe } from '@angular/common';
import { MatButtonModule } from '@angular/material/button';
import { StackedTable } from '../../../shared/stacked-table/stacked-table';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { MatDialog } from '@angular/material/dialog';
import { firstValueFrom } from 'rxjs';
import { CatalogState, type Revision, type RevisionDiff } from './catalog-state';
import { RollbackDialog, type RollbackChoice, type RollbackDialogData } from './rollback-dialog';

/**
 * The catalog's revisions, newest first (number, author, time, what changed), a revision's diff
 * against the one before it, and a rollback to it after confirmation (stored as a new revision):
 * the entries only, or with the operational control state of that revision when the operator ticks it.
 */
@Component({
  selector: 'app-revisions-panel',
  imports: [StackedTable, DatePipe, JsonPipe, MatButtonModule, TranslocoDirective],
  template: `
    <section *transloco="let t" aria-labelledby="revisions-title" data-testid="catalog-revisions">
      <h3 id="revisions-title">{{ t('models.catalog.revisions') }}</h3>
      @if (!rows().length) {
        <p class="muted">{{ t('models.catalog.noRevisions') }}</p>
      } @else {
        <table class="simple" appStackedTable>
          <caption class="visually-hidden">
            {{
              t('models.catalog.revisions')
            }}
          </caption>
          <thead>
            <tr>
              <th scope="col" class="num">{{ t('models.catalog.number') }}</th>
              <th scope="col">{{ t('models.catalog.author') }}</th>
              <th scope="col">{{ t('models.catalog.time') }}</th>
              <th scope="col">{{ t('models.catalog.summary') }}</th>
              <th scope="col">{{ t('models.catalog.actions') }}</th>
            </tr>
          </thead>
          <tbody>
            @for (r of rows(); track r.revision) {
              <tr [attr.data-testid]="'revision-' + r.revision">
                <td class="num">{{ r.revision }}</td>
                <td class="mono">{{ r.author ?? '—' }}</td>
                <td>
                  <time [attr.datetime]="r.created_at">{{ r.created_at | date: 'medium' }}</time>
                </td>
                <td>
                  {{ summary(r) }}
                  @if (r.reason) {
                    <div class="muted" data-testid="revision-reason">{{ r.reason }}</div>
                  }
                </td>
                <td>
                  <button
                    mat-button
                    type="button"
                    (click)="showDiff(r.revision)"
                    data-testid="revision-diff"
                    [attr.aria-expanded]="diff()?.revision === r.revision"
                    [attr.aria-label]="t('models.catalog.diffOf', { n: r.revision })"
                  >
                    {{ t('models.catalog.diff') }}
                  </button>
                  <button
                    mat-button
                    type="button"
                    (click)="rollback(r.revision)"
                    data-testid="revision-rollback"
                    [attr.aria-label]="t('models.catalog.rollbackTo', { n: r.revision })"
                  >
                    {{ t('models.catalog.rollback') }}
                  </button>
                </td>
              </tr>
            }
          </tbody>
        </table>
      }
      @if (diff(); as d) {
        <section
          class="diff"
          data-testid="revision-diff-view"
          [attr.aria-label]="t('models.catalog.diffOf', { n: d.revision })"
        >
          <h4>{{ t('models.catalog.diffOf', { n: d.revision }) }}</h4>
          @for (c of d.changes; track c.section + c.name) {
            <div class="change" [attr.data-op]="c.op">
              <p>
                <strong>{{ t('models.catalog.op.' + c.op) }}</strong>
                <span class="mono">{{ c.section }}/{{ c.name }}</span>
              </p>
              @if (c.before !== undefined && c.before !== null) {
                <pre class="before" [attr.aria-label]="t('models.catalog.before')">{{ c.before | json }}</pre>
              }
              @if (c.after !== undefined && c.after !== null) {
                <pre class="after" [attr.aria-label]="t('models.catalog.after')">{{ c.after | json }}</pre>
              }
            </div>
          } @empty {
            <p class="muted">{{ t('models.catalog.noChanges') }}</p>
          }
        </section>
      }
    </section>
  `,
  styleUrl: './catalog-table.scss',
  styles: `
    .diff {
      margin-top: 12px;
    }
    .change {
      display: grid;
      gap: 4px;
      margin-bottom: 8px;
    }
    pre {
      margin: 0;
      padding: 8px;
      overflow: auto;
      border-radius: 4px;
      font-size: 12px;
    }
    .before {
      background: color-mix(in srgb, var(--mat-sys-error) 10%, transparent);
    }
    .after {
      background: color-mix(in srgb, var(--mat-sys-primary) 10%, transparent);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RevisionsPanel {
  private readonly state = inject(CatalogState);
  private readonly dialog = inject(MatDialog);
  private readonly i18n = inject(TranslocoService);
  readonly failed = output<unknown>();
  readonly rows = signal<Revision[]>([]);
  readonly diff = signal<RevisionDiff | null>(null);

  constructor() {
    // Read again after every change this screen stores (and once at the start).
    effect(() => {
      this.state.changes();
      untracked(() => void this.load());
    });
  }

  private async load(): Promise<void> {
    try {
      this.rows.set((await this.state.revisions()).revisions);
    } catch (err) {
      this.failed.emit(err);
    }
  }

  /** "models.update models/team-model" → the action in words and its target. */
  summary(r: Revision): string {
    // Admin edits are ai_catalog.*; drains, weights, breakers and fallback switches are ai_control.*.
    const action = r.action.replace(/^ai_(catalog|control)\./, '');
    const key = `models.catalog.action.${action.split('.').pop()}`;
    const said = this.i18n.translate(key);
    return `${said === key ? action : said} ${r.target ?? ''}`.trim();
  }

  async showDiff(n: number): Promise<void> {
    if (this.diff()?.revision === n) return this.diff.set(null);
    try {
      this.diff.set(await this.state.diff(n));
    } catch (err) {
      this.failed.emit(err);
    }
  }

  async rollback(n: number): Promise<void> {
    let controlChanges: RevisionDiff['changes'];
    try {
      controlChanges = await this.controlSince(n);
    } catch (err) {
      return this.failed.emit(err);
    }
    const ref = this.dialog.open<RollbackDialog, RollbackDialogData, RollbackChoice>(RollbackDialog, {
      data: { revision: n, controlChanges },
      width: '520px',
      autoFocus: 'first-tabbable',
    });
    const choice = await firstValueFrom(ref.afterClosed());
    if (!choice) return;
    try {
      await this.state.rollback(n, choice.control);
      this.diff.set(null);
    } catch (err) {
      this.failed.emit(err);
    }
  }

  /**
   * The control items that differ between now (the newest revision, read again: automation may have
   * drained something since the list was read) and revision `n`.
   */
  private async controlSince(n: number): Promise<RevisionDiff['changes']> {
    const rows = (await this.state.revisions()).revisions;
    this.rows.set(rows);
    const now = rows[0]?.revision ?? 0;
    if (now === 0 || now === n) return [];
    return (await this.state.diff(now, n)).changes.filter((c) => c.section === 'control');
  }
}
